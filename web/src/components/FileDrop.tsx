import { type DragEvent, useId, useState } from "react";

/**
 * A file-drop zone that is also a labelled file picker: drop a file on it, or focus the button
 * (keyboard) / click it and choose one. One component for artifacts and evidence alike.
 */
export function FileDrop({
  label,
  hint,
  accept,
  disabled,
  onFile,
  describedBy,
}: {
  label: string;
  hint?: string;
  accept?: string;
  disabled?: boolean;
  onFile: (file: File) => void;
  describedBy?: string;
}) {
  const id = useId();
  const [over, setOver] = useState(false);
  const [chosen, setChosen] = useState<string>("");

  function take(files: FileList | null) {
    const file = files?.[0];
    if (!file) return;
    setChosen(file.name);
    onFile(file);
  }

  function onDrop(e: DragEvent<HTMLDivElement>) {
    e.preventDefault();
    setOver(false);
    if (!disabled) take(e.dataTransfer.files);
  }

  return (
    <div
      className={`file-drop${over ? " file-drop-over" : ""}${disabled ? " file-drop-disabled" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        if (!disabled) setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      data-testid="file-drop"
    >
      <label htmlFor={id} className="file-drop-label">
        {label}
      </label>
      <p className="small muted" id={`${id}-hint`}>
        Drop a file here or choose one.{hint ? ` ${hint}` : ""}
      </p>
      <input
        id={id}
        type="file"
        accept={accept}
        disabled={disabled}
        aria-describedby={[`${id}-hint`, describedBy].filter(Boolean).join(" ")}
        onChange={(e) => {
          take(e.target.files);
          e.target.value = "";
        }}
      />
      {chosen ? (
        <p className="small" aria-live="polite">
          Chosen: <strong>{chosen}</strong>
        </p>
      ) : null}
    </div>
  );
}
