import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIELDS } from '../src/codec/fields.ts'

/** Every `message Name { ... }` of the .proto as {field name in camelCase: number}. */
function protoFields(text: string): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>()
  for (const m of text.matchAll(/^message (\w+) \{([^}]*)\}/gm)) {
    const fields: Record<string, number> = {}
    for (const f of m[2].matchAll(/^\s*(?:optional |repeated )?\w+ (\w+) = (\d+);/gm)) {
      fields[f[1].replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = Number(f[2])
    }
    out.set(m[1], fields)
  }
  return out
}

describe('codec field table', () => {
  // compiled to dist/test: the .proto stays in src
  const proto = readFileSync(join(import.meta.dirname, '..', '..', 'src', 'codec', 'messages.proto'), 'utf8')
  const declared = protoFields(proto)

  for (const [name, fields] of Object.entries(FIELDS)) {
    it(`FIELDS.${name} is exactly ${name} in messages.proto`, () => {
      assert.deepEqual({ ...fields }, declared.get(name))
    })
  }

  it('the parser of this test reads the .proto (it finds every message)', () => {
    for (const name of ['Update', 'UserEvent', 'Ping', 'Ack', 'Nack', 'PingReq', 'Packet', 'PushPull']) {
      assert.ok(declared.has(name), name)
    }
    assert.equal(declared.get('PushPull')?.digestHi, 8)
  })
})
