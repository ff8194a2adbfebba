import { useQuery } from "@tanstack/react-query";
import { type KeyboardEvent, useEffect, useState } from "react";
import { groups, type GroupSource, type PlaneGroup } from "../api/groups";
import { ApiProblem } from "../api/problem";
import { errorId, fieldId } from "../lib/fields";
import { FieldError } from "./Field";

function useDebounced<T>(value: T, ms = 250): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

const sized = (g: PlaneGroup) => (g.member_count == null ? "" : ` · ${g.member_count} ${g.member_count === 1 ? "device" : "devices"}`);

/**
 * A ring step's target group, picked from the groups the connector's plane lists (a combobox:
 * type to search, arrows and Enter to choose). What is stored is the value the plane's connector
 * resolves; only when the plane cannot be reached is the field free text, and it says so.
 */
export function GroupPicker({
  path,
  label,
  source,
  value,
  onChange,
  errors,
}: {
  path: string;
  label: string;
  source: GroupSource;
  value: string;
  onChange: (value: string) => void;
  errors?: string[];
}) {
  const id = fieldId(path);
  const listId = `${id}-groups`;
  const hintId = `${id}-hint`;
  const [text, setText] = useState(value);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const search = useDebounced(text.trim());
  const listing = useQuery({
    queryKey: ["connector-groups", source.id, search],
    queryFn: () => groups.list(source.id, search),
    retry: false,
    staleTime: 60_000,
  });
  const unreachable = listing.error instanceof ApiProblem || listing.isError;
  const options = listing.data?.groups ?? [];
  const errId = errors?.length ? errorId(path) : undefined;
  // A name typed in full is the choice once the plane lists it; free text stands once it cannot.
  useEffect(() => {
    const typed = text.trim();
    if (unreachable && typed !== value) onChange(typed);
    else if (!unreachable && !value) {
      const match = options.find((g) => g.name === typed);
      if (match) onChange(match.value);
    }
    // (only when the listing changes: typing itself sets the value in `type`)
  }, [unreachable, listing.data]);
  const describedBy = [hintId, errId].filter(Boolean).join(" ");

  function choose(g: PlaneGroup) {
    onChange(g.value);
    setText(g.name);
    setOpen(false);
    setActive(-1);
  }

  function type(next: string) {
    setText(next);
    setActive(-1);
    setOpen(true);
    if (unreachable) onChange(next);
    else onChange(options.find((g) => g.name === next.trim())?.value ?? "");
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (unreachable) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (options.length ? (a + step + options.length) % options.length : -1));
    } else if (e.key === "Enter" && open && active >= 0 && options[active]) {
      e.preventDefault();
      choose(options[active]);
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  }

  const showing = open && !unreachable && (options.length > 0 || listing.isSuccess);
  return (
    <div className={`field group-picker${errors?.length ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      <p className="hint" id={hintId}>
        {unreachable
          ? `The ${source.group_word} of ${source.name} cannot be listed right now (the plane cannot be reached or refused), so type the group's name exactly as the plane names it.`
          : `One of the ${source.group_word} of ${source.name}${source.kind === "intune" ? " (search by the start of its name)" : ""}.`}
      </p>
      {unreachable ? (
        <input id={id} value={text} onChange={(e) => type(e.target.value)} autoComplete="off" aria-invalid={errors?.length ? true : undefined} aria-describedby={describedBy} />
      ) : (
        <input
          id={id}
          role="combobox"
          aria-expanded={showing}
          aria-controls={listId}
          aria-autocomplete="list"
          aria-activedescendant={showing && active >= 0 ? `${listId}-${active}` : undefined}
          aria-invalid={errors?.length ? true : undefined}
          aria-describedby={describedBy}
          value={text}
          onChange={(e) => type(e.target.value)}
          onFocus={() => setOpen(true)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={onKeyDown}
          autoComplete="off"
        />
      )}
      <ul id={listId} role="listbox" aria-label={`${label}: ${source.group_word} of ${source.name}`} className="group-options" hidden={!showing}>
        {options.map((g, i) => (
          <li
            key={g.id}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={g.value === value}
            className={i === active ? "active" : undefined}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => choose(g)}
          >
            {g.name}
            <span className="muted">{sized(g)}</span>
          </li>
        ))}
        {listing.isSuccess && options.length === 0 ? (
          <li role="option" aria-selected={false} aria-disabled="true" className="muted">
            No {source.group_word} match “{search}”.
          </li>
        ) : null}
        {listing.data?.truncated ? (
          <li role="option" aria-selected={false} aria-disabled="true" className="muted">
            More match; type more of the name.
          </li>
        ) : null}
      </ul>
      <FieldError id={errId} errors={errors} />
    </div>
  );
}
