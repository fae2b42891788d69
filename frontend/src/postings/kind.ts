/**
 * What the need and the capability pages share, as configuration: one `PostingKind` per type
 * (postings/need.ts, postings/capability.ts) drives the 榜单 (PostingList), 我的需求/我的成果
 * (MyPostings), the hits, and the buttons. A new filter, badge or action is a line there.
 */
import type { Component } from "vue";

import type { AuditEvent, Page } from "@/api/types";
import type { ActionSpec, Actionable, Step } from "@/utils/actions";
import type { Model, SectionSpec } from "@/utils/formSpec";
import type { LifecycleKind, Option } from "@/utils/labels";

/** The URL value of 全部 for a select filter with a `default`. */
export const ALL = "all";

/** Reads one URL query value (useQueryState's `get`). */
export type QueryGet = (key: string) => string | undefined;

/** A filter of a list whose state lives in the URL query (components/QueryFilters.vue). */
export type FilterSpec = (
  | { kind: "field" }
  | {
      kind: "select";
      key: string;
      label: string;
      all: string;
      /** The options, or a function of the moment (e.g. of the caller's role). */
      options: Option<string>[] | (() => Option<string>[]);
      width?: number;
      /** The value applied while the URL names none (then 全部 is written as `ALL`). */
      default?: string;
    }
  | { kind: "range"; keys: [string, string]; label: string; noun: string }
  | { kind: "dates"; keys: [string, string]; label: string }
) & {
  /** Shown only when this answers true (`semantic`: a 智能检索 is on). */
  show?: (semantic: boolean) => boolean;
};

export interface SearchPage<H> {
  items: H[];
  total: number;
  relevant: number;
}

export interface Posting extends Actionable {
  status: string;
  updated_at: string;
}

export interface PostingKind<T extends Posting, H> {
  kind: LifecycleKind & ("need" | "capability");
  noun: string;
  paths: { board: string; mine: string; create: string; detail: (id: number) => string };
  get: (id: number) => Promise<T>;
  history: (id: number) => Promise<AuditEvent[]>;
  step: Step<T>;
  /** Every button a posting of this type may show, in display order. */
  actions: Record<string, ActionSpec>;
  /** The card of one posting (prop `item`) and of one search hit (prop `hit`). */
  card: Component;
  hitCard: Component;
  hitId: (hit: H) => number;
  /** What the engine recommends for one posting of this type (the other type's hits). */
  recommendations: {
    fetch: (id: number) => Promise<unknown[]>;
    title: string;
    note: string;
    empty: string;
    testId: string;
    card: Component;
    key: (hit: never) => number;
  };
  /** The guided form (views/my/PostingForm.vue). */
  form: {
    titles: { create: string; edit: string };
    subtitle: string;
    sections: SectionSpec[];
    initial: () => Model;
    create: (body: never) => Promise<T>;
    update: (id: number, body: never) => Promise<T>;
    notEditable: string;
    submitted: string;
  };
  board: {
    title: string;
    subtitle: () => string;
    placeholder: string;
    searchTestId?: string;
    listTestId?: string;
    /** A link beside the title (the need board: 揭榜结果公示). */
    link?: { to: string; label: string; testId?: string };
    /** What explains the board above its first page (the need board: the 揭榜 flow for visitors). */
    intro?: Component;
    /** The public figures above the first page. */
    stats?: boolean;
    statusOnCards?: () => boolean;
    filters: FilterSpec[];
    sorts: Option<string>[];
    list: (get: QueryGet, page: number, pageSize: number) => Promise<Page<T>>;
    search: (get: QueryGet, page: number, pageSize: number) => Promise<SearchPage<H>>;
  };
  mine: {
    title: string;
    newLabel: string;
    empty: string;
    tabs: string[];
    /** The actions offered on each card (the rest are on the detail page). */
    buttons: string[];
    list: (status: string | undefined, page: number, pageSize: number) => Promise<Page<T>>;
    showUpdated?: boolean;
  };
}

/** A select filter's value: the URL's, else its default; undefined for 全部. */
export function selected(get: QueryGet, key: string, fallback?: string): string | undefined {
  const value = get(key) ?? fallback;
  return value === ALL ? undefined : value;
}

/** The URL query values of `keys` that are set. */
export function queryOf(get: QueryGet, keys: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) {
    const value = get(key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}
