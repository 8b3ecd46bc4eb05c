import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { TypedEventEmitter } from '@libp2p/interface'
import { MEMBER_EVENT_NAMES, type Member } from '@murmur/core'
import { type CreateMurmurBrowserNodeOptions, createMurmurBrowserNode, type MurmurBrowserNode } from './browser.ts'
import type { MembershipServiceStats } from './index.ts'
import { incarnationFromClock } from './membership-service.ts'

/**
 * How long a hidden tab stays a member before it leaves. Chrome runs a hidden tab's timers at
 * most once a second at first, and after 5 minutes hidden at most once a minute ("intensive
 * wake-up throttling"; Firefox and Safari throttle too). Once a second is still a working member:
 * its probes and their timeouts fire late (it waits longer, so it accuses less, never more), and
 * it answers others' probes from network events, which are not throttled. Once a minute is not:
 * it would probe once a minute and its suspicion timers would fire minutes late. So it leaves,
 * gracefully, well before that, and rejoins when shown again.
 */
export const HIDDEN_LEAVE_MS = 60_000

/** Options of a {@link MurmurTab}: those of createMurmurBrowserNode, plus its page lifecycle. */
export interface MurmurTabOptions extends CreateMurmurBrowserNodeOptions {
  /** A tab hidden this long leaves (and rejoins when visible again), in ms. @default HIDDEN_LEAVE_MS */
  hiddenLeaveMs?: number
  /** The page whose lifecycle is followed (pagehide, visibilitychange, freeze). @default globalThis */
  page?: PageLike
}

/** The parts of `window` and `document` a tab watches. */
export interface PageLike {
  addEventListener(type: string, listener: (e: Event) => void): void
  removeEventListener(type: string, listener: (e: Event) => void): void
  readonly document?: { readonly visibilityState?: string; addEventListener(type: string, l: () => void): void }
}

/** Where a tab is in its life: a member, between two (hidden), or done. */
export type TabState = 'joining' | 'member' | 'leaving' | 'away' | 'stopped'

export interface MurmurTabEvents {
  /** A member event of the current node (`member:join`, `member:dead`, ...). */
  member: CustomEvent<{ event: (typeof MEMBER_EVENT_NAMES)[number]; member: Member }>
  /** The tab's state changed. */
  state: CustomEvent<TabState>
}

/**
 * A browser tab as a member, with the page lifecycle handled:
 *
 * - pagehide (closing the tab, navigating away): leaves, so others see `left`, not a death;
 * - hidden for `hiddenLeaveMs` (see HIDDEN_LEAVE_MS), or frozen: leaves, so a throttled tab is
 *   never a false death and never a false accuser;
 * - visible again (or restored from the back-forward cache): rejoins with the same key, at an
 *   incarnation above the one it left with, so its old `left` claim is stale.
 *
 * A rejoin is a new libp2p node (the engine does not rejoin after a leave); `node` is the current one.
 */
export class MurmurTab extends TypedEventEmitter<MurmurTabEvents> {
  node: MurmurBrowserNode | undefined
  state: TabState = 'stopped'
  private key: PrivateKey | undefined
  private lastIncarnation = 0
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined
  private readonly options: MurmurTabOptions
  private readonly page: PageLike
  private readonly listeners: Array<[string, (e: Event) => void]>
  private readonly onVisibility = (): void => this.visibilityChanged()

  constructor(options: MurmurTabOptions) {
    super()
    this.options = options
    this.page = options.page ?? (globalThis as unknown as PageLike)
    this.listeners = [
      ['pagehide', () => void this.leave()],
      ['freeze', () => void this.leave()],
      ['pageshow', (e) => void ((e as { persisted?: boolean }).persisted === true && this.rejoin())],
      ['resume', () => void this.rejoin()],
    ]
  }

  /** This tab's peer id (known once started). */
  get id(): string {
    return this.node?.peerId.toString() ?? ''
  }

  /** Joins, and follows the page's lifecycle from now on. */
  async start(): Promise<void> {
    this.key ??= this.options.privateKey ?? (await generateKeyPair('Ed25519'))
    for (const [type, l] of this.listeners) this.page.addEventListener(type, l)
    this.page.document?.addEventListener('visibilitychange', this.onVisibility)
    await this.rejoin()
  }

  /** Leaves (bounded by leaveTimeoutMs) and stops the node; the tab rejoins when shown again. */
  async leave(): Promise<void> {
    clearTimeout(this.hiddenTimer)
    const node = this.node
    if (node === undefined || this.state === 'leaving') return
    this.setState('leaving')
    const membership = node.services.membership
    this.lastIncarnation = Math.max(this.lastIncarnation, membership.self().incarnation)
    await membership.leave().catch(() => {})
    this.node = undefined
    await Promise.resolve(node.stop()).catch(() => {})
    if ((this.state as TabState) === 'leaving') this.setState('away')
  }

  /** Leaves, and no longer follows the page. */
  async stop(): Promise<void> {
    for (const [type, l] of this.listeners) this.page.removeEventListener(type, l)
    await this.leave()
    this.setState('stopped')
  }

  members(): Member[] {
    return this.node?.services.membership.members() ?? []
  }

  stats(): MembershipServiceStats | undefined {
    return this.node?.services.membership.stats()
  }

  private visibilityChanged(): void {
    const hidden = this.page.document?.visibilityState === 'hidden'
    clearTimeout(this.hiddenTimer)
    if (hidden) {
      const ms = this.options.hiddenLeaveMs ?? HIDDEN_LEAVE_MS
      this.hiddenTimer = setTimeout(() => void this.leave(), ms)
    } else {
      void this.rejoin()
    }
  }

  /** A new node with the same key, at an incarnation above the last one announced. */
  private async rejoin(): Promise<void> {
    if (this.node !== undefined || this.state === 'joining' || this.page.document?.visibilityState === 'hidden') return
    this.setState('joining')
    const initialIncarnation = Math.max(incarnationFromClock(), this.lastIncarnation + 1)
    try {
      const node = await createMurmurBrowserNode({
        ...this.options,
        privateKey: this.key,
        membership: { ...this.options.membership, initialIncarnation },
      })
      this.node = node
      for (const event of MEMBER_EVENT_NAMES) {
        node.services.membership.addEventListener(event, (e) => {
          this.safeDispatchEvent('member', { detail: { event, member: e.detail } })
        })
      }
      this.setState('member')
    } catch (err) {
      this.setState('away')
      throw err
    }
  }

  private setState(state: TabState): void {
    this.state = state
    this.safeDispatchEvent('state', { detail: state })
  }
}
