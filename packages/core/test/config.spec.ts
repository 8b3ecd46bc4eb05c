import assert from 'node:assert/strict'
import {
  type ConfigInput,
  DEFAULTS,
  InvalidConfigError,
  PRESETS,
  PROFILES,
  resolveConfig,
  type SwimConfig,
  validateConfig,
} from '@murmur/core'

describe('config', () => {
  it('resolves to memberlist LAN defaults with no input', () => {
    const c = resolveConfig()
    assert.deepEqual(c, { ...DEFAULTS, profile: 'lan' })
    assert.ok(Object.isFrozen(c))
    assert.equal(c.probeIntervalMs, 1000)
    assert.equal(c.probeTimeoutMs, 500)
    assert.equal(c.indirectChecks, 3)
    assert.equal(c.suspicionMult, 4)
    assert.equal(c.suspicionMaxTimeoutMult, 6)
    assert.equal(c.retransmitMult, 4)
    assert.equal(c.gossipIntervalMs, 200)
    assert.equal(c.gossipNodes, 3)
    assert.equal(c.pushPullIntervalMs, 30_000)
    assert.equal(c.awarenessMaxMultiplier, 8)
    assert.equal(c.gossipToTheDeadMs, 30_000)
    assert.equal(c.lifeguard, true)
  })

  // memberlist DefaultWANConfig and DefaultLocalConfig
  const profiles: Array<[ConfigInput['profile'], Partial<SwimConfig>]> = [
    ['lan', { probeIntervalMs: 1000, probeTimeoutMs: 500, suspicionMult: 4, gossipIntervalMs: 200, gossipNodes: 3 }],
    [
      'wan',
      {
        probeIntervalMs: 5000,
        probeTimeoutMs: 3000,
        suspicionMult: 6,
        pushPullIntervalMs: 60_000,
        requestTimeoutMs: 30_000,
        gossipNodes: 4,
        gossipIntervalMs: 500,
        gossipToTheDeadMs: 60_000,
        indirectChecks: 3,
        retransmitMult: 4,
      },
    ],
    [
      'local',
      {
        probeIntervalMs: 1000,
        probeTimeoutMs: 200,
        indirectChecks: 1,
        retransmitMult: 2,
        suspicionMult: 3,
        pushPullIntervalMs: 15_000,
        requestTimeoutMs: 1000,
        gossipIntervalMs: 100,
        gossipToTheDeadMs: 15_000,
        gossipNodes: 3,
      },
    ],
  ]
  for (const [profile, expected] of profiles) {
    it(`profile ${profile} has memberlist's values`, () => {
      const c = resolveConfig({ profile })
      assert.equal(c.profile, profile)
      for (const [k, v] of Object.entries(expected)) assert.equal(c[k as keyof SwimConfig], v, k)
    })
  }

  it('lists exactly the three profiles, each a delta on DEFAULTS', () => {
    assert.deepEqual([...PROFILES], ['lan', 'wan', 'local'])
    assert.deepEqual(PRESETS.lan, {})
    for (const p of PROFILES) for (const k of Object.keys(PRESETS[p])) assert.ok(k in DEFAULTS, k)
  })

  it('applies overrides on top of the profile, ignoring undefined values', () => {
    const c = resolveConfig({ profile: 'wan', gossipNodes: 7, probeTimeoutMs: undefined })
    assert.equal(c.gossipNodes, 7)
    assert.equal(c.probeTimeoutMs, 3000)
    assert.equal(c.probeIntervalMs, 5000)
  })

  it('reports every problem at once in one InvalidConfigError', () => {
    const input = {
      profile: 'moon',
      probeIntervalMs: 0,
      gossipNodes: -1,
      suspicionMult: 2.5,
      lifeguard: 'yes',
      maxMetadataBytes: '512',
      bogus: 1,
    } as unknown as ConfigInput
    let caught: unknown
    try {
      resolveConfig(input)
    } catch (err) {
      caught = err
    }
    assert.ok(caught instanceof InvalidConfigError)
    assert.equal(caught.name, 'InvalidConfigError')
    assert.equal(caught.code, 'ERR_INVALID_CONFIG')
    const problems = caught.problems
    // the seven bad fields, plus probeTimeoutMs (500) not below probeIntervalMs (0)
    assert.equal(problems.length, 8, problems.join('\n'))
    for (const key of [
      'profile',
      'probeIntervalMs',
      'gossipNodes',
      'suspicionMult',
      'lifeguard',
      'maxMetadataBytes',
      'bogus',
    ]) {
      assert.ok(
        problems.some((p) => p.includes(key)),
        `no problem mentions ${key}`,
      )
      assert.ok(caught.message.includes(key))
    }
  })

  it('checks the relations between fields', () => {
    const problems = validateConfig({ ...DEFAULTS, probeTimeoutMs: 1000, packetBudgetBytes: 70_000 })
    assert.equal(problems.length, 2, problems.join('\n'))
    assert.ok(problems[0].includes('probeTimeoutMs'))
    assert.ok(problems[1].includes('packetBudgetBytes'))
    assert.throws(() => resolveConfig({ profile: 'wan', probeIntervalMs: 2000 }), { name: 'InvalidConfigError' })
  })

  it('accepts zero where zero means off, and a valid config has no problems', () => {
    assert.deepEqual(validateConfig({ ...DEFAULTS }), [])
    const c = resolveConfig({ pushPullIntervalMs: 0, gossipNodes: 0, indirectChecks: 0, tombstoneMs: 0 })
    assert.equal(c.pushPullIntervalMs, 0)
    assert.throws(() => resolveConfig({ probeIntervalMs: 0 }), {
      name: 'InvalidConfigError',
      code: 'ERR_INVALID_CONFIG',
    })
  })
})
