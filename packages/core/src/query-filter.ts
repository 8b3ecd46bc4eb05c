import { CLAIM_LIMITS } from './claim-limits.ts'
import { DECODE_LIMITS } from './constants.ts'
import { type CompiledRegexp, compileTagRegexp, type Matcher } from './tag-regexp.ts'

/** Longest tag filter, `key=regexp`, in characters. */
export const MAX_TAG_FILTER_CHARS = 256
/**
 * The compiled size of all of one query's tag filters together, in NFA instructions: matching
 * costs at most this times a tag value's length (itself within maxMetadataBytes).
 */
export const MAX_FILTER_INSTRUCTIONS = 1024

/** Which members a query is for: ids (any of them) and tags (all of them); empty lists match all. */
export interface QueryFilter {
  /** Member ids; the query is for these members only. */
  ids?: readonly string[]
  /**
   * Tags as `key=regexp`: a member matches when its tag `key` exists and the regular expression
   * matches the whole value (anchored, as in `^(?:regexp)$`). See tag-regexp.ts for the syntax.
   */
  tags?: readonly string[]
}

/** A query's filters, checked and compiled. */
export interface CompiledFilter {
  ids: ReadonlySet<string> | undefined
  tags: ReadonlyArray<{ key: string; match: Matcher }>
}

const NO_FILTER: CompiledFilter = { ids: undefined, tags: [] }

/** Compiled filters by their text (the same few filters come in again and again). */
const cache = new Map<string, CompiledRegexp | null>()
const MAX_CACHED = 256

/**
 * Checks and compiles filters; a string saying what is wrong when they cannot be run (too
 * many, too long, not `key=regexp`, a regexp outside the subset or too large once compiled).
 */
export function compileFilter(ids: readonly string[], tags: readonly string[]): CompiledFilter | string {
  if (ids.length === 0 && tags.length === 0) return NO_FILTER
  if (ids.length > DECODE_LIMITS.queryFilterIds) return `at most ${DECODE_LIMITS.queryFilterIds} member ids`
  if (tags.length > DECODE_LIMITS.queryFilterTags) return `at most ${DECODE_LIMITS.queryFilterTags} tag filters`
  for (const id of ids) {
    if (id === '' || id.length > CLAIM_LIMITS.maxIdChars) return `member id "${id.slice(0, 64)}" is not a member id`
  }
  const compiled: Array<{ key: string; match: Matcher }> = []
  let budget = MAX_FILTER_INSTRUCTIONS
  for (const t of tags) {
    const at = t.indexOf('=')
    if (at <= 0 || t.length > MAX_TAG_FILTER_CHARS) {
      return `tag filter "${t.slice(0, 64)}" must be key=regexp, at most ${MAX_TAG_FILTER_CHARS} characters`
    }
    const expr = t.slice(at + 1)
    const re = compileCached(expr)
    if (re === undefined || re.size > budget) {
      return `tag filter "${t.slice(0, 64)}": not a regular expression Murmur runs (RE2's subset, no backreferences or lookaround) or too large`
    }
    budget -= re.size
    compiled.push({ key: t.slice(0, at), match: re.test })
  }
  return { ids: ids.length === 0 ? undefined : new Set(ids), tags: compiled }
}

function compileCached(expr: string): CompiledRegexp | undefined {
  let re = cache.get(expr)
  if (re === undefined) {
    re = compileTagRegexp(expr, MAX_FILTER_INSTRUCTIONS) ?? null
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(expr, re)
  }
  return re ?? undefined
}

/** Does this node (`id`, with `tags`, or none known) match the filter? */
export function matchesFilter(
  f: CompiledFilter,
  id: string,
  tags: (() => Readonly<Record<string, string>>) | undefined,
): boolean {
  if (f.ids !== undefined && !f.ids.has(id)) return false
  if (f.tags.length === 0) return true
  if (tags === undefined) return false // without tagsOf, a node has no tags to match
  const own = tags()
  return f.tags.every(({ key, match }) => Object.hasOwn(own, key) && match(own[key]))
}
