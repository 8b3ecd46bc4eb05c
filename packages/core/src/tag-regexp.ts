/**
 * Regular expressions from the network, run in linear time. A query's tag filter is written by
 * another member, and JavaScript's own RegExp backtracks: `(a|a)*b` against a tag of thirty a's
 * takes minutes. So filters are compiled here into a Thompson NFA and simulated a character at a
 * time (a Pike VM without captures, as RE2 and Go's regexp, Serf's engine, do): the time is at
 * most the program's length times the input's, whatever the pattern.
 *
 * The syntax is RE2's common subset: literals, `.`, classes `[a-z0-9_]` and `[^...]`, escapes
 * `\d \D \w \W \s \S \n \t` and escaped punctuation, groups `(...)` and `(?:...)`, alternation
 * `|`, quantifiers `* + ? {n} {n,} {n,m}` (a trailing `?` for laziness is accepted; it does not
 * change whether a string matches). `^` at the start and `$` at the end are accepted: every
 * pattern matches the whole value anyway. Anything else (backreferences, lookaround, `\b`,
 * Unicode classes, named groups) is refused.
 */

type Test = (c: number) => boolean

type Node =
  | { t: 'char'; test: Test }
  | { t: 'cat'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }

type Inst =
  | { op: 'char'; test: Test }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'match' }

/** A compiled pattern: does it match the whole of `s`? */
export type Matcher = (s: string) => boolean

/** Longest counted repetition ({n,m}), as RE2. */
const MAX_REPEAT = 1000

class Refused extends Error {}

const digit: Test = (c) => c >= 48 && c <= 57
const word: Test = (c) => digit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const space: Test = (c) => c === 32 || (c >= 9 && c <= 13)
const any: Test = () => true
const not =
  (t: Test): Test =>
  (c) =>
    !t(c)
const is =
  (x: number): Test =>
  (c) =>
    c === x

class Parser {
  private pos = 0
  constructor(private readonly cs: number[]) {}

  parse(): Node {
    if (this.peek() === 0x5e) this.pos++ // ^ at the start
    const node = this.alt()
    if (this.pos < this.cs.length) throw new Refused()
    return node
  }

  private peek(): number | undefined {
    return this.cs[this.pos]
  }

  private alt(): Node {
    const items = [this.cat()]
    while (this.peek() === 0x7c) {
      this.pos++
      items.push(this.cat())
    }
    return items.length === 1 ? items[0] : { t: 'alt', items }
  }

  private cat(): Node {
    const items: Node[] = []
    for (let c = this.peek(); c !== undefined && c !== 0x7c && c !== 0x29; c = this.peek()) {
      if (c === 0x24 && this.pos === this.cs.length - 1) {
        this.pos++ // $ at the end
        break
      }
      items.push(this.quantified(this.atom()))
    }
    return { t: 'cat', items }
  }

  private quantified(node: Node): Node {
    const c = this.peek()
    let min: number
    let max: number
    if (c === 0x2a) [min, max] = [0, Number.POSITIVE_INFINITY]
    else if (c === 0x2b) [min, max] = [1, Number.POSITIVE_INFINITY]
    else if (c === 0x3f) [min, max] = [0, 1]
    else if (c === 0x7b) return this.counted(node)
    else return node
    this.pos++
    if (this.peek() === 0x3f) this.pos++ // lazy: the same strings match
    if (this.isQuantifier(this.peek())) throw new Refused() // a** is an error in RE2
    return { t: 'rep', node, min, max }
  }

  private counted(node: Node): Node {
    this.pos++ // {
    const min = this.number()
    let max = min
    if (this.peek() === 0x2c) {
      this.pos++
      max = this.peek() === 0x7d ? Number.POSITIVE_INFINITY : this.number()
    }
    if (
      this.cs[this.pos++] !== 0x7d ||
      max < min ||
      min > MAX_REPEAT ||
      (max !== Number.POSITIVE_INFINITY && max > MAX_REPEAT)
    ) {
      throw new Refused()
    }
    if (this.peek() === 0x3f) this.pos++
    if (this.isQuantifier(this.peek())) throw new Refused()
    return { t: 'rep', node, min, max }
  }

  private number(): number {
    let n = 0
    let digits = 0
    for (let c = this.peek(); c !== undefined && digit(c) && digits < 5; c = this.peek()) {
      n = n * 10 + (c - 48)
      digits++
      this.pos++
    }
    if (digits === 0) throw new Refused()
    return n
  }

  private isQuantifier(c: number | undefined): boolean {
    return c === 0x2a || c === 0x2b || c === 0x3f || c === 0x7b
  }

  private atom(): Node {
    const c = this.cs[this.pos++]
    switch (c) {
      case 0x28: {
        // ( or (?:
        if (this.peek() === 0x3f) {
          if (this.cs[this.pos + 1] !== 0x3a) throw new Refused()
          this.pos += 2
        }
        const inner = this.alt()
        if (this.cs[this.pos++] !== 0x29) throw new Refused()
        return inner
      }
      case 0x5b:
        return { t: 'char', test: this.charClass() }
      case 0x2e:
        return { t: 'char', test: any }
      case 0x5c:
        return { t: 'char', test: this.escape() }
      case 0x2a:
      case 0x2b:
      case 0x3f:
      case 0x7b:
      case 0x5e:
      case 0x24:
        throw new Refused() // nothing to repeat, or an anchor inside the pattern
      default:
        return { t: 'char', test: is(c) }
    }
  }

  private escape(): Test {
    const c = this.cs[this.pos++]
    if (c === undefined) throw new Refused()
    switch (String.fromCodePoint(c)) {
      case 'd':
        return digit
      case 'D':
        return not(digit)
      case 'w':
        return word
      case 'W':
        return not(word)
      case 's':
        return space
      case 'S':
        return not(space)
      case 'n':
        return is(10)
      case 't':
        return is(9)
      case 'r':
        return is(13)
    }
    if (word(c) || c > 0x7f) throw new Refused() // \1, \b, \p, \k, ...: not in this subset
    return is(c) // escaped punctuation
  }

  private charClass(): Test {
    const negate = this.peek() === 0x5e
    if (negate) this.pos++
    const tests: Test[] = []
    let first = true
    for (;;) {
      const c = this.cs[this.pos++]
      if (c === undefined) throw new Refused()
      if (c === 0x5d && !first) break
      first = false
      let lo: number | Test = c
      if (c === 0x5c) {
        const esc = this.escape()
        const prev = this.cs[this.pos - 1]
        lo = 'dDwWsS'.includes(String.fromCodePoint(prev))
          ? esc
          : prev === 0x6e
            ? 10
            : prev === 0x74
              ? 9
              : prev === 0x72
                ? 13
                : prev
      }
      if (
        typeof lo === 'number' &&
        this.peek() === 0x2d &&
        this.cs[this.pos + 1] !== 0x5d &&
        this.cs[this.pos + 1] !== undefined
      ) {
        this.pos++
        let hi = this.cs[this.pos++]
        if (hi === 0x5c) {
          hi = this.cs[this.pos++]
          if (hi === undefined || word(hi)) throw new Refused()
        }
        if (hi < lo) throw new Refused()
        const from = lo
        tests.push((x) => x >= from && x <= hi)
      } else tests.push(typeof lo === 'number' ? is(lo) : lo)
    }
    const inClass: Test = (x) => tests.some((t) => t(x))
    return negate ? not(inClass) : inClass
  }
}

/** Compiles `node` into `prog`; throws Refused past `max` instructions. */
function emit(node: Node, prog: Inst[], max: number): void {
  if (prog.length > max) throw new Refused()
  switch (node.t) {
    case 'char':
      prog.push({ op: 'char', test: node.test })
      return
    case 'cat':
      for (const n of node.items) emit(n, prog, max)
      return
    case 'alt': {
      const jumps: Array<Extract<Inst, { op: 'jmp' }>> = []
      node.items.forEach((n, i) => {
        if (i < node.items.length - 1) {
          const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: prog.length + 1, y: 0 }
          prog.push(split)
          emit(n, prog, max)
          const jmp: Extract<Inst, { op: 'jmp' }> = { op: 'jmp', x: 0 }
          prog.push(jmp)
          jumps.push(jmp)
          split.y = prog.length
        } else emit(n, prog, max)
      })
      for (const j of jumps) j.x = prog.length
      return
    }
    case 'rep': {
      for (let i = 0; i < node.min; i++) emit(node.node, prog, max)
      if (node.max === Number.POSITIVE_INFINITY) {
        const at = prog.length
        const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: at + 1, y: 0 }
        prog.push(split)
        emit(node.node, prog, max)
        prog.push({ op: 'jmp', x: at })
        split.y = prog.length
        return
      }
      const splits: Array<Extract<Inst, { op: 'split' }>> = []
      for (let i = node.min; i < node.max; i++) {
        const split: Extract<Inst, { op: 'split' }> = { op: 'split', x: prog.length + 1, y: 0 }
        prog.push(split)
        splits.push(split)
        emit(node.node, prog, max)
      }
      for (const s of splits) s.y = prog.length
      return
    }
  }
}

/**
 * Compiles `pattern` (at most `maxInstructions` once compiled) into a full-match test that runs
 * in O(instructions × input length); undefined when the pattern is not in the subset, is
 * malformed, or compiles to more instructions than that.
 */
export function compileTagRegexp(pattern: string, maxInstructions: number): CompiledRegexp | undefined {
  let prog: Inst[]
  try {
    const node = new Parser(Array.from(pattern, (ch) => ch.codePointAt(0) as number)).parse()
    prog = []
    emit(node, prog, maxInstructions)
    prog.push({ op: 'match' })
    if (prog.length > maxInstructions) return undefined
  } catch (err) {
    if (err instanceof Refused) return undefined
    throw err
  }
  return { test: (s) => run(prog, s), size: prog.length }
}

/** A compiled pattern and its size in NFA instructions (its cost per input character). */
export interface CompiledRegexp {
  test: Matcher
  size: number
}

/** The Pike VM: every thread advances one character at a time; a state is visited once per step. */
function run(prog: Inst[], s: string): boolean {
  const mark = new Int32Array(prog.length).fill(-1)
  let current: number[] = []
  let next: number[] = []
  let step = 0
  const add = (list: number[], pc: number) => {
    const stack = [pc]
    while (stack.length > 0) {
      const at = stack.pop() as number
      if (mark[at] === step) continue
      mark[at] = step
      const inst = prog[at]
      if (inst.op === 'jmp') stack.push(inst.x)
      else if (inst.op === 'split') stack.push(inst.y, inst.x)
      else list.push(at)
    }
  }
  add(current, 0)
  for (const ch of s) {
    const c = ch.codePointAt(0) as number
    step++
    next.length = 0
    for (const pc of current) {
      const inst = prog[pc]
      if (inst.op === 'char' && inst.test(c)) add(next, pc + 1)
    }
    ;[current, next] = [next, current]
    if (current.length === 0) return false
  }
  return current.some((pc) => prog[pc].op === 'match')
}
