"""Content-addressed artifact store on disk: artifacts/sha256/<aa>/<bb>/<digest>.

Uploads stream into a temporary file in the store while being hashed, then are renamed into
place, so a digest is always computed by Fleetgate and a half-written upload is never visible.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from fleetgate.core.errors import PayloadTooLarge

CHUNK = 1024 * 1024


def root() -> Path:
    path = Path(settings.FLEETGATE_ARTIFACT_DIR)
    (path / "tmp").mkdir(parents=True, exist_ok=True)
    return path


def path_for(digest: str) -> Path:
    return root() / "sha256" / digest[:2] / digest[2:4] / digest


class HashedTempFile:
    """A temp file inside the store that hashes what is written to it and enforces a size cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        fd, name = tempfile.mkstemp(dir=root() / "tmp", prefix="upload-")
        self.path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            self.discard()
            raise PayloadTooLarge(
                f"Upload exceeds the limit of {self.limit} bytes; "
                "raise FLEETGATE_MAX_UPLOAD_BYTES on the server or upload a smaller file."
            )
        self._hash.update(chunk)
        self._file.write(chunk)

    def close(self) -> None:
        self._file.close()

    @property
    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def discard(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def commit(self) -> Path:
        """Move into its content address; an identical blob already stored is kept as is."""
        self.close()
        target = path_for(self.hexdigest)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self.path.unlink(missing_ok=True)
        else:
            os.replace(self.path, target)
        return target


def store_stream(stream: IO[bytes], limit: int) -> HashedTempFile:
    tmp = HashedTempFile(limit)
    while chunk := stream.read(CHUNK):
        tmp.write(chunk)
    tmp.close()
    return tmp


class HashingUploadHandler(FileUploadHandler):
    """Django upload handler that streams a multipart file straight into a HashedTempFile."""

    def new_file(self, *args: object, **kwargs: object) -> None:
        super().new_file(*args, **kwargs)  # type: ignore[arg-type]
        self.tmp = HashedTempFile(settings.FLEETGATE_MAX_UPLOAD_BYTES)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.tmp.write(raw_data)  # raises PayloadTooLarge past the limit; the view maps it to 413
        return None

    def file_complete(self, file_size: int) -> UploadedHashedFile:  # type: ignore[override]
        self.tmp.close()
        return UploadedHashedFile(self.tmp, self.file_name or "upload", self.content_type or "")


class UploadedHashedFile:
    def __init__(self, tmp: HashedTempFile, name: str, content_type: str) -> None:
        self.tmp, self.name, self.content_type, self.size = tmp, name, content_type, tmp.size
