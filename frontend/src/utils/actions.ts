/**
 * How a button for one of an object's `actions` looks and what it does. The API decides which
 * actions the caller has (its `actions` list); a table of these specs says how each is shown.
 */
export interface ActionSpec {
  label: string;
  type?: "primary" | "success" | "warning" | "danger";
  plain?: boolean;
  /** A link (an edit form, a related page) instead of an API step. */
  to?: (id: number) => string;
  /** Ask first: [message, title, button] for the object titled `title`. */
  confirm?: (title: string) => [string, string, string];
  /** A reason is required: the dialog's texts. */
  reason?: { title: string; noun?: string; reader?: string; confirm?: string };
  /** Said once the step succeeded. */
  done?: string;
  /** The button's data-testid (default: the action's name). */
  testId?: string;
}

/** Anything with a lifecycle the caller can act on. */
export interface Actionable {
  id: number;
  title: string;
  actions: string[];
}

/** The API step behind the specs: act on `item`, answer its new state. */
export type Step<T> = (item: T, action: string, reason?: string) => Promise<T>;
