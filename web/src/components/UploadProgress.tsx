/** How much of an upload has been sent, as a labelled progress bar with the percentage in words. */
export function UploadProgress({ label, fraction }: { label: string; fraction: number }) {
  const percent = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  return (
    <div className="upload-progress">
      <label className="small">
        {label}: {percent === 100 ? "sent, Fleetgate is checking it…" : `${percent}% sent`}
        <progress max={100} value={percent} aria-valuetext={`${percent}% sent`} />
      </label>
    </div>
  );
}
