import type { Admission } from './admission.ts'
import type { TimerId } from './clock.ts'
import type { Context } from './context.ts'
import type { Prober } from './probe.ts'
import { randomInt } from './random.ts'

/**
 * The probe loop's beat: every probe interval (scaled by local health) it reaps expired
 * tombstones and starts one probe round against the next member in the shuffled round-robin
 * order. It also notices when the host stalled (stall awareness).
 */
export class ProbeLoop {
  private timer: TimerId
  private running = false
  /** When the next tick is due (clock ms): how late a tick runs is how long the host stalled. */
  private nextAt: number | undefined
  private readonly onTick = () => this.tick()

  constructor(
    private readonly ctx: Context,
    private readonly prober: Prober,
    private readonly admission: Admission,
    /** The host's own measure of its event-loop delay since the last call, in ms (optional). */
    private readonly loopDelay: (() => number) | undefined,
  ) {}

  /** Starts after a random stagger within one interval (memberlist triggerFunc). */
  start(): void {
    if (this.running) return
    this.running = true
    this.schedule(randomInt(this.ctx.random, this.interval()))
  }

  stop(): void {
    this.running = false
    this.ctx.clock.clearTimeout(this.timer)
    this.timer = undefined
  }

  private tick(): void {
    if (!this.running) return
    // when this round was due: the gap to now is how late the host ran our timer
    const scheduledAt = this.nextAt ?? this.ctx.clock.now()
    this.noticeStall(this.ctx.clock.now() - scheduledAt)
    this.admission.reap()
    const target = this.ctx.list.nextProbeTarget()
    if (target !== undefined) this.prober.probe(target, scheduledAt)
    this.schedule(this.interval())
  }

  /**
   * Stall awareness: a probe tick that ran more than a probe timeout late, or a host-measured
   * event-loop delay that long, means our own host stalled. We then doubt ourselves (Lifeguard's
   * health score, one step per tick), so our next probes wait longer before accusing anyone.
   */
  private noticeStall(tickLateMs: number): void {
    const { config } = this.ctx
    if (!config.stallAwareness) return
    const lateMs = Math.max(tickLateMs, this.loopDelay?.() ?? 0)
    if (lateMs <= config.probeTimeoutMs) return
    this.ctx.stats.stalls++
    if (config.lifeguard) this.ctx.awareness.apply(1)
    this.ctx.log('our host stalled: %d ms late', Math.round(lateMs))
  }

  private schedule(ms: number): void {
    this.nextAt = this.ctx.clock.now() + ms
    this.timer = this.ctx.clock.setTimeout(this.onTick, ms)
  }

  private interval(): number {
    return this.ctx.awareness.scale(this.ctx.config.probeIntervalMs)
  }
}
