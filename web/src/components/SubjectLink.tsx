import { Link } from "react-router";
import { humanize } from "../lib/format";
import { subjectHref, subjectLabel } from "../lib/subjects";

/**
 * A subject by its name, linked to where it is shown (lib/subjects.ts decides where); a subject
 * without a screen is its name alone. `showType` prefixes the kind ("Intent firefox-128-6-finance").
 */
export function SubjectLink({
  type,
  id,
  name,
  showType = false,
}: {
  type: string;
  id: string;
  name?: string | null;
  showType?: boolean;
}) {
  const href = subjectHref(type, id);
  const label = subjectLabel(type, id, name);
  return (
    <span className="subject" data-subject-type={type}>
      {showType && name ? <span className="muted">{humanize(type)} </span> : null}
      {href ? <Link to={href}>{label}</Link> : label}
    </span>
  );
}
