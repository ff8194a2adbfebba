import type { IconName } from "../lib/intents";

const PATHS: Record<IconName, string> = {
  check: "M4 10.5l4 4 8-9",
  cross: "M5 5l10 10M15 5L5 15",
  clock: "M10 3a7 7 0 1 0 0 14a7 7 0 1 0 0-14zM10 6v4l3 2",
  dot: "M10 7a3 3 0 1 0 0 6a3 3 0 1 0 0-6z",
  circle: "M10 3a7 7 0 1 0 0 14a7 7 0 1 0 0-14z",
  pause: "M7 5v10M13 5v10",
  stop: "M5 5h10v10H5z",
  undo: "M7 6L3 10l4 4M3 10h9a5 5 0 0 1 0 10",
  play: "M6 4l10 6-10 6z",
  pencil: "M4 16l1-4 8-8 3 3-8 8zM12 5l3 3",
  alert: "M10 3l8 14H2zM10 8v4M10 14.5v.5",
  dash: "M5 10h10",
};

/** Decorative icon: always paired with visible text, so it is hidden from assistive tech. */
export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={`icon ${className ?? ""}`}
      viewBox="0 0 20 20"
      width="16"
      height="16"
      aria-hidden="true"
      focusable="false"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
