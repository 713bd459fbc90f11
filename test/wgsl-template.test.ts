import { describe, expect, it } from 'vitest';
import { expandWgsl } from '../src/gpu/wgsl-template.ts';

const includes: Record<string, string> = {
  'include/outer': 'const OUTER = 1u;\n//#include inner',
  'include/inner': 'const INNER = ${N}u;',
  'include/loop-a': '//#include loop-b',
  'include/loop-b': '//#include loop-a',
};
const source = (name: string) => {
  if (!(name in includes)) throw new Error(`no ${name}`);
  return includes[name];
};

describe('WGSL template', () => {
  it('unrolls nested loops with define counts and substitutes loop values and defines', () => {
    const text = ['//#unroll m M', '//#unroll n 2', 'a${m}${n} = ${K};', '//#end', '//#end'].join('\n');
    expect(expandWgsl(text, { M: 2, K: 7 })).toBe(['a00 = 7;', 'a01 = 7;', 'a10 = 7;', 'a11 = 7;'].join('\n'));
    expect(expandWgsl(['//#unroll m 0', 'x${m};', '//#end', 'y;'].join('\n'))).toBe('y;');
  });

  it('pastes includes, includes inside includes too, and expands their defines', () => {
    expect(expandWgsl('//#include outer\nfn f() {}', { N: 3 }, 'test', source)).toBe('const OUTER = 1u;\nconst INNER = 3u;\nfn f() {}');
  });

  it('names what is wrong: an include cycle, an unknown define, an unbalanced unroll', () => {
    expect(() => expandWgsl('//#include loop-a', {}, 'test', source)).toThrow('//#include loop-a → loop-b → loop-a is a cycle');
    expect(() => expandWgsl('x = ${MISSING};', {}, 'test')).toThrow('test:1: ${MISSING} is neither a define nor an unroll variable');
    expect(() => expandWgsl('//#unroll m 2\nx;', {}, 'test')).toThrow('//#unroll without //#end');
    expect(() => expandWgsl('x;\n//#end', {}, 'test')).toThrow('test:2: //#end without //#unroll');
    expect(() => expandWgsl('//#unroll m COUNT\n//#end', {}, 'test')).toThrow('unroll count COUNT is not defined');
  });
});
