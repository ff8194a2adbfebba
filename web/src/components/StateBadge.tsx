import { stateInfo } from "../lib/intents";
import { Icon } from "./Icon";

/** An intent state as icon + text (colour is a third cue, never the only one). */
export function StateBadge({ state }: { state: string }) {
  const info = stateInfo(state);
  return (
    <span className={`badge tone-${info.tone}`} data-state={state}>
      <Icon name={info.icon} />
      <span>{info.label}</span>
    </span>
  );
}
