/** The posting types by name (a route's `kind` prop). */
import { CAPABILITY_KIND } from "@/postings/capability";
import type { Posting, PostingKind } from "@/postings/kind";
import { NEED_KIND } from "@/postings/need";

const KINDS = { need: NEED_KIND, capability: CAPABILITY_KIND } as const;
export type KindName = keyof typeof KINDS;

/** A type's configuration where the page serves both: items and hits are the config's own. */
export function kindOf(name: KindName): PostingKind<Posting, unknown> {
  return KINDS[name] as unknown as PostingKind<Posting, unknown>;
}
