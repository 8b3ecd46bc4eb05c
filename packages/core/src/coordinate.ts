import type { Random } from './random.ts'

/**
 * A network coordinate (Vivaldi, as Serf and Consul use it): a point in a Euclidean space plus a
 * height (the access link's latency, which every path from the node pays), an adjustment (a
 * per-node correction learned from recent errors) and the node's confidence in it (`error`,
 * relative). The estimated round trip time between two nodes is
 * `|a.vec - b.vec| + a.height + b.height + a.adjustment + b.adjustment`, in milliseconds.
 */
export interface Coordinate {
  readonly vec: readonly number[]
  readonly error: number
  readonly adjustment: number
  readonly height: number
}

/**
 * The algorithm's constants, Serf's defaults (coordinate/config.go), in milliseconds where a unit
 * applies. Not knobs of SwimConfig: every member must agree on them for coordinates to mean
 * anything, so they are part of the protocol.
 */
export const VIVALDI = {
  /** Serf: "no noticeable improvement beyond 7 dimensions". */
  dimensions: 8,
  /** A new node's error, and the ceiling of every node's. */
  errorMax: 1.5,
  /** How much one observation may move a node's error (Vivaldi's c_e). */
  ce: 0.25,
  /** How much one observation may move a node's coordinate (Vivaldi's c_c). */
  cc: 0.25,
  /** Recent (rtt - estimate) samples averaged into the adjustment term. */
  adjustmentWindow: 20,
  /** The smallest height: 10 µs. */
  heightMinMs: 0.01,
  /** RTT samples per peer whose median feeds the update (a latency filter against outliers). */
  latencyFilter: 3,
  /**
   * Peers whose samples are kept (the most recently probed). Round-robin probing comes back to a
   * peer once per pass over the cluster, so in a large cluster the filter only helps with the
   * peers probed again soon (indirect rounds, small clusters); memory stays flat however large.
   */
  filterPeers: 16,
  /** Gravity's scale: pulls the whole system gently towards the origin, so it does not drift. */
  gravityRhoMs: 150_000,
  /** Bounds on what a peer may announce: anything past them is not a coordinate of this Earth. */
  maxComponentMs: 1e6,
  /**
   * A node whose error estimate is above this asks every probe target for its coordinate; below
   * it, every coordinateEvery-th (converged nodes sit near 0.1 in the simulator).
   */
  settledError: 0.25,
  /** RTTs above this are not a network's (a stalled host's): not used. */
  maxRttMs: 10_000,
} as const

const ZERO = 1e-9
/** Coordinates travel as 32-bit floats: a bound read back may be a hair below itself. */
const FLOAT32_SLACK = 1 - 1e-6

/** The origin with the largest error: what a node starts from. */
export function originCoordinate(): Coordinate {
  return {
    vec: new Array(VIVALDI.dimensions).fill(0),
    error: VIVALDI.errorMax,
    adjustment: 0,
    height: VIVALDI.heightMinMs,
  }
}

/** The estimated round trip time between the owners of two coordinates, in ms. */
export function estimateRttMs(a: Coordinate, b: Coordinate): number {
  const raw = magnitude(diff(a.vec, b.vec)) + a.height + b.height
  const adjusted = raw + a.adjustment + b.adjustment
  return adjusted > 0 ? adjusted : raw
}

/** Is this a coordinate a member may announce: the right shape, finite, within bounds? */
export function validCoordinate(c: Coordinate | undefined): c is Coordinate {
  if (c === undefined || c.vec.length !== VIVALDI.dimensions) return false
  const ok = (x: number, min: number) => Number.isFinite(x) && x >= min && x <= VIVALDI.maxComponentMs
  return (
    c.vec.every((x) => ok(x, -VIVALDI.maxComponentMs)) &&
    ok(c.error, 0) &&
    c.error <= VIVALDI.errorMax &&
    ok(c.height, VIVALDI.heightMinMs * FLOAT32_SLACK) &&
    ok(c.adjustment, -VIVALDI.maxComponentMs)
  )
}

/**
 * This node's own coordinate, refined by every direct probe: the RTT we measured to a peer and
 * the coordinate it sent with its ack. Pure arithmetic; the random source only breaks the tie of
 * two nodes at the same point.
 */
export class VivaldiClient {
  private coord: Coordinate = originCoordinate()
  private readonly window: number[] = new Array(VIVALDI.adjustmentWindow).fill(0)
  private windowAt = 0
  /** The last few RTT samples per peer (the latency filter); forgotten with the peer. */
  private readonly samples = new Map<string, number[]>()

  constructor(private readonly random: Random) {}

  get coordinate(): Coordinate {
    return this.coord
  }

  /** Forgets a peer's samples (it left or was reaped). */
  forget(peer: string): void {
    this.samples.delete(peer)
  }

  /**
   * One observation: `rttMs` measured to `peer`, whose coordinate is `other`. Returns false (and
   * changes nothing) when the observation is unusable: an invalid coordinate or an absurd RTT.
   */
  update(peer: string, other: Coordinate, rttMs: number): boolean {
    if (!validCoordinate(other) || !(rttMs > 0) || rttMs > VIVALDI.maxRttMs) return false
    const rtt = this.filtered(peer, rttMs)
    const c = this.coord
    const dist = estimateRttMs(c, other)
    const totalError = Math.max(c.error + other.error, ZERO)
    const weight = c.error / totalError
    const relative = Math.abs(dist - rtt) / rtt
    const error = Math.min(VIVALDI.errorMax, VIVALDI.ce * weight * relative + c.error * (1 - VIVALDI.ce * weight))
    let next = this.applyForce({ ...c, error }, VIVALDI.cc * weight * (rtt - dist), other)
    // the adjustment term: the mean of recent errors, halved (each side carries half)
    this.window[this.windowAt] = rtt - estimateRttMs({ ...next, adjustment: 0 }, { ...other, adjustment: 0 })
    this.windowAt = (this.windowAt + 1) % this.window.length
    next = { ...next, adjustment: this.window.reduce((a, b) => a + b, 0) / (2 * this.window.length) }
    // gravity towards the origin, so that the whole system does not drift away
    const origin = originCoordinate()
    const pull = magnitude(next.vec) / VIVALDI.gravityRhoMs
    next = this.applyForce(next, -(pull * pull), { ...origin, height: 0 })
    if (!validCoordinate(next)) {
      this.coord = originCoordinate() // numbers went wrong: start again rather than spread them
      return false
    }
    this.coord = Object.freeze({ ...next, vec: Object.freeze([...next.vec]) })
    return true
  }

  /** The median of this peer's last few RTTs, this one included. */
  private filtered(peer: string, rttMs: number): number {
    let s = this.samples.get(peer)
    if (s === undefined) {
      s = []
      if (this.samples.size >= VIVALDI.filterPeers) this.samples.delete(this.samples.keys().next().value!)
    } else this.samples.delete(peer) // re-inserted below: the map stays in order of last use
    this.samples.set(peer, s)
    s.push(rttMs)
    if (s.length > VIVALDI.latencyFilter) s.shift()
    const sorted = [...s].sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)]
  }

  /** Moves `c` by `force` (ms) away from `other` (towards it when negative); heights move too. */
  private applyForce(c: Coordinate, force: number, other: Coordinate): Coordinate {
    const d = diff(c.vec, other.vec)
    const mag = magnitude(d)
    const unit = mag > ZERO ? d.map((x) => x / mag) : this.randomUnit()
    const vec = c.vec.map((x, i) => x + unit[i] * force)
    let height = c.height
    if (mag > ZERO) height = Math.max(VIVALDI.heightMinMs, ((c.height + other.height) * force) / mag + c.height)
    return { ...c, vec, height }
  }

  private randomUnit(): number[] {
    for (;;) {
      const v = Array.from({ length: VIVALDI.dimensions }, () => this.random.next() - 0.5)
      const m = magnitude(v)
      if (m > ZERO) return v.map((x) => x / m)
    }
  }
}

function diff(a: readonly number[], b: readonly number[]): number[] {
  return a.map((x, i) => x - b[i])
}

function magnitude(v: readonly number[]): number {
  let s = 0
  for (const x of v) s += x * x
  return Math.sqrt(s)
}
