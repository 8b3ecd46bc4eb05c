import assert from 'node:assert/strict'
import { compileTagRegexp } from '../src/tag-regexp.ts'

const match = (pattern: string, value: string) => {
  const re = compileTagRegexp(pattern, 1024)
  assert.ok(re !== undefined, `${pattern} compiles`)
  return re.test(value)
}

describe('tag filter regexps (linear time, RE2 subset, whole-value match)', () => {
  const cases: Array<[pattern: string, value: string, matches: boolean]> = [
    ['web', 'web', true],
    ['web', 'webserver', false],
    ['web.*', 'webserver', true],
    ['^web$', 'web', true],
    ['(web|db)', 'db', true],
    ['(?:web|db)-\\d+', 'db-12', true],
    ['(?:web|db)-\\d+', 'db-', false],
    ['[a-c]+', 'abcabc', true],
    ['[^a-c]+', 'xyz', true],
    ['[^a-c]+', 'xaz', false],
    ['eu-[0-9]{1,2}', 'eu-12', true],
    ['eu-[0-9]{1,2}', 'eu-123', false],
    ['a{2,}', 'aaaa', true],
    ['a{3}', 'aa', false],
    ['\\w+\\.\\w+', 'a.b', true],
    ['\\s?x', 'x', true],
    ['colou?r', 'color', true],
    ['.*?', '', true],
    ['', '', true],
    ['', 'x', false],
    ['(a*)*', 'aaa', true],
    ['[]a]', ']', true],
    ['[a-]', '-', true],
    ['é+', 'éé', true],
  ]
  for (const [pattern, value, expected] of cases) {
    it(`/${pattern}/ ${expected ? 'matches' : 'does not match'} "${value}"`, () => {
      assert.equal(match(pattern, value), expected)
    })
  }

  it('refuses what is outside the subset or malformed', () => {
    for (const p of [
      '(a)\\1',
      '(?=a)',
      '(?<n>a)',
      '\\bword',
      'a**',
      '*a',
      '(a',
      'a)',
      '[a',
      'a{2,1}',
      'a{1001}',
      'a^b',
      'a$b',
      '\\p{L}',
    ]) {
      assert.equal(compileTagRegexp(p, 1024), undefined, p)
    }
  })

  it('refuses a pattern too large once compiled', () => {
    assert.equal(compileTagRegexp('(abcdefgh){200}', 1024), undefined)
    assert.ok(compileTagRegexp('(abcdefgh){100}', 1024) !== undefined)
  })

  it('runs in linear time where a backtracking engine takes ages', () => {
    const value = `${'a'.repeat(500)}!`
    for (const p of ['(a|a)*b', '(a+)+b', '(a*)*b', 'a*a*a*a*a*a*a*a*b']) {
      const started = performance.now()
      assert.equal(match(p, value), false)
      assert.ok(performance.now() - started < 200, `${p} took ${performance.now() - started} ms`)
    }
  })
})
