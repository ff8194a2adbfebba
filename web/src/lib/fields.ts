/** Problem `errors[].field` paths (e.g. `ring_plan[1].device_count`) ↔ form control ids. */
import type { ApiProblem } from "../api/problem";

export function fieldId(path: string): string {
  return `f-${path.replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-")}`;
}

export function errorId(path: string): string {
  return `${fieldId(path)}-error`;
}

export type FieldErrors = Map<string, string[]>;

export function fieldErrorsOf(problem: ApiProblem | null | undefined): FieldErrors {
  return problem ? problem.fieldErrors() : new Map();
}

/**
 * Errors for paths that no control on the form shows (e.g. `ring_plan` as a whole, `body`),
 * so the summary can list them and nothing the server said is lost.
 */
export function unplacedErrors(errors: FieldErrors, placed: (path: string) => boolean): [string, string[]][] {
  return [...errors.entries()].filter(([path]) => !placed(path));
}
