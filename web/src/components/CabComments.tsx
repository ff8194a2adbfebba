import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { type Mentionable, comments } from "../api/comments";
import { isApiProblem } from "../api/problem";
import { useUser } from "../auth/session";
import { fieldErrorsOf } from "../lib/fields";
import { Time } from "./Time";
import { hasRole } from "../lib/permissions";
import { DataState } from "./DataState";
import { ProblemAlert } from "./ProblemAlert";

const MENTION = /(^|[^\w@.+-])@([\w.+-]*[\w+-])/g;

/** A comment's text with its @mentions marked (the server resolved them when it was posted). */
export function CommentBody({ body, mentions }: { body: string; mentions: string[] }) {
  const parts: (string | { name: string })[] = [];
  let last = 0;
  for (const m of body.matchAll(MENTION)) {
    const [, lead = "", name = ""] = m;
    const start = (m.index ?? 0) + lead.length;
    if (!mentions.includes(name)) continue;
    parts.push(body.slice(last, start), { name });
    last = start + name.length + 1;
  }
  parts.push(body.slice(last));
  return (
    <p className="comment-body">
      {parts.map((p, i) =>
        typeof p === "string" ? (
          p
        ) : (
          <strong key={i} className="mention">
            @{p.name}
          </strong>
        ),
      )}
    </p>
  );
}

/** The @word being typed just before the caret (null: none), with where it starts. */
export function mentionAt(text: string, caret: number): { query: string; start: number } | null {
  const before = text.slice(0, caret);
  const m = /(^|[^\w@.+-])@([\w.+-]*)$/.exec(before);
  if (!m) return null;
  const query = m[2] ?? "";
  return { query, start: before.length - query.length - 1 };
}

export function matchPeople(people: Mentionable[], query: string): Mentionable[] {
  const q = query.toLowerCase();
  return people.filter((p) => p.username.toLowerCase().includes(q) || p.name.toLowerCase().includes(q)).slice(0, 8);
}

/** The composer: a text box whose @ opens a list of people who can read the request (arrows, Enter, Escape). */
function Composer({ requestId }: { requestId: string }) {
  const queryClient = useQueryClient();
  const people = useQuery({ queryKey: ["cab-mentionable", requestId], queryFn: () => comments.mentionable(requestId), staleTime: 60_000 });
  const [text, setText] = useState("");
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [notice, setNotice] = useState("");
  const box = useRef<HTMLTextAreaElement>(null);
  // Where the caret goes once a picked mention is in the box: placed as the DOM updates (a layout effect),
  // not a frame later, or keys typed in between land before it and the text comes out scrambled.
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const at = pendingCaret.current;
    if (at === null || !box.current) return;
    pendingCaret.current = null;
    box.current.focus();
    box.current.setSelectionRange(at, at);
  });
  const alertRef = useRef<HTMLDivElement>(null);
  const uid = useId();
  const post = useMutation({
    mutationFn: () => comments.post(requestId, text),
    onSuccess: (c) => {
      setText("");
      setNotice(c.mentions.length ? `Comment posted; ${c.mentions.map((m) => `@${m}`).join(", ")} will be notified.` : "Comment posted.");
      void queryClient.invalidateQueries({ queryKey: ["cab-comments", requestId] });
    },
  });
  useEffect(() => {
    if (post.isError) alertRef.current?.focus();
  }, [post.isError]);

  const token = mentionAt(text, caret);
  const open = !!token && dismissed !== token.start && !!people.data;
  const matches = open ? matchPeople(people.data ?? [], token.query) : [];
  const listOpen = open && matches.length > 0;
  const optionId = (i: number) => `${uid}-person-${i}`;

  function pick(person: Mentionable) {
    if (!token) return;
    const after = text.slice(caret);
    const inserted = `@${person.username} `;
    const next = text.slice(0, token.start) + inserted + after.replace(/^[\w.+-]*/, "");
    const at = token.start + inserted.length;
    pendingCaret.current = at;
    setText(next);
    setCaret(at);
    setActive(0);
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (!listOpen) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      setActive((a) => (a + step + matches.length) % matches.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      const person = matches[Math.min(active, matches.length - 1)];
      if (person) pick(person);
    } else if (e.key === "Escape") {
      e.preventDefault();
      setDismissed(token?.start ?? null);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    setNotice("");
    post.mutate();
  }

  const errors = fieldErrorsOf(isApiProblem(post.error) ? post.error : null).get("body") ?? [];
  const hintId = `${uid}-hint`;
  const errId = `${uid}-error`;
  return (
    <form className="form comment-form" onSubmit={submit} aria-label="Comment on this request">
      {notice ? (
        <p className="alert alert-success" role="status">
          {notice}
        </p>
      ) : null}
      {post.isError ? <ProblemAlert ref={alertRef} error={post.error} title="The comment was not posted" /> : null}
      <div className={`field mention-field${errors.length ? " field-invalid" : ""}`}>
        <label htmlFor={`${uid}-text`}>Add a comment</label>
        <p className="hint" id={hintId}>
          Type @ to mention someone who can read this request; they get a notification. Arrow keys move through the names, Enter picks
          one, Escape closes the list.
        </p>
        <textarea
          id={`${uid}-text`}
          ref={box}
          rows={3}
          value={text}
          aria-describedby={[hintId, errors.length ? errId : ""].filter(Boolean).join(" ")}
          aria-invalid={errors.length ? true : undefined}
          aria-autocomplete="list"
          aria-controls={`${uid}-people`}
          aria-activedescendant={listOpen ? optionId(Math.min(active, matches.length - 1)) : undefined}
          onChange={(e) => {
            setText(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setActive(0);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
        />
        <ul id={`${uid}-people`} role="listbox" aria-label="People to mention" className="mention-list" hidden={!listOpen}>
          {matches.map((p, i) => (
            <li
              key={p.username}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              className={i === active ? "is-active" : undefined}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the text box
                pick(p);
              }}
            >
              <strong>@{p.username}</strong>
              {p.name !== p.username ? ` ${p.name}` : ""} <span className="small muted">{p.roles.join(", ")}</span>
            </li>
          ))}
        </ul>
        <p className="sr-only" aria-live="polite">
          {listOpen ? `${matches.length} ${matches.length === 1 ? "person matches" : "people match"}.` : ""}
        </p>
        {errors.length ? (
          <p className="field-error" id={errId}>
            <span aria-hidden="true">⚠ </span>
            {errors.join(" ")}
          </p>
        ) : null}
      </div>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={post.isPending || !text.trim()}>
          {post.isPending ? "Posting…" : "Post comment"}
        </button>
      </div>
    </form>
  );
}

/** The discussion on a CAB request: every comment, oldest first, and (for those who take part) the composer. */
export function CabComments({ requestId, requestState }: { requestId: string; requestState?: string }) {
  const user = useUser();
  const thread = useQuery({ queryKey: ["cab-comments", requestId], queryFn: () => comments.list(requestId) });
  const rows = thread.data?.results ?? [];
  const closed = requestState === "rejected" || requestState === "voided";
  const auditorOnly = hasRole(user, "auditor") && !user?.roles.some((g) => g.role !== "auditor");
  return (
    <section aria-labelledby="comments-h" className="cab-comments">
      <h2 id="comments-h">Discussion</h2>
      <DataState query={thread} label="the discussion" isEmpty={rows.length === 0} empty="No comment yet.">
        <ol className="comment-thread">
          {rows.map((c) => (
            <li key={c.id} className="comment" data-comment={c.id}>
              <p className="small muted">
                <strong>{c.author}</strong> · <Time value={c.created_at} />
              </p>
              <CommentBody body={c.body} mentions={c.mentions} />
            </li>
          ))}
        </ol>
      </DataState>
      {auditorOnly ? (
        <p className="small muted">Auditors read the discussion; they do not take part in it.</p>
      ) : closed ? (
        <p className="small muted">This request is {requestState}; its discussion is closed. Comment on the intent's current request.</p>
      ) : (
        <Composer requestId={requestId} />
      )}
    </section>
  );
}
