/**
 * The one templating step our WGSL goes through, because SwiftShader's JIT keeps neither loops over a register tile
 * unrolled nor small arrays in registers (measured: 3× slower conv2d with an array accumulator):
 *
 *   //#unroll m TILE_M        repeat the lines up to the matching //#end for m = 0 … TILE_M − 1
 *   acc${m} = acc${m} + …;    ${name} is replaced by the loop value or by a define
 *   //#end
 *
 * Counts are numbers or define names; unrolls nest. Everything else is plain WGSL, and `${NAME}` of a define works
 * anywhere (`const TILE_M = ${TILE_M}u;`). `//#include name` pastes `shaders/include/name.wgsl` (helpers that several
 * kernels share, such as the fused activations); includes may include.
 */
export type Defines = Readonly<Record<string, number>>;

const unrollStart = /^\s*\/\/#unroll\s+([A-Za-z_]\w*)\s+(\w+)\s*$/;
const unrollEnd = /^\s*\/\/#end\s*$/;
const include = /^\s*\/\/#include\s+([\w-]+)\s*$/;

function substitute(line: string, values: Defines, where: string): string {
  return line.replace(/\$\{([A-Za-z_]\w*)\}/g, (match, name: string) => {
    if (!(name in values)) throw new Error(`${where}: \${${name}} is neither a define nor an unroll variable`);
    return String(values[name]);
  });
}

export function expandWgsl(
  source: string,
  defines: Defines = {},
  shaderName = 'shader',
  includeSource: (name: string) => string = () => {
    throw new Error(`${shaderName}: //#include needs a shader source`);
  },
): string {
  const pasted = (text: string, chain: string[]): string[] =>
    text.split('\n').flatMap((line) => {
      const match = include.exec(line);
      if (!match) return [line];
      if (chain.includes(match[1])) throw new Error(`${shaderName}: //#include ${[...chain, match[1]].join(' → ')} is a cycle`);
      return pasted(includeSource(`include/${match[1]}`), [...chain, match[1]]);
    });
  const lines = pasted(source, []);
  let index = 0;

  function block(values: Defines, closing: boolean): string[] {
    const out: string[] = [];
    while (index < lines.length) {
      const line = lines[index++];
      if (unrollEnd.test(line)) {
        if (!closing) throw new Error(`${shaderName}:${index}: //#end without //#unroll`);
        return out;
      }
      const start = unrollStart.exec(line);
      if (!start) {
        out.push(substitute(line, values, `${shaderName}:${index}`));
        continue;
      }
      const [, variable, countText] = start;
      const count = /^\d+$/.test(countText) ? Number(countText) : values[countText];
      if (count === undefined) throw new Error(`${shaderName}:${index}: unroll count ${countText} is not defined`);
      const bodyStart = index;
      let body: string[] = [];
      for (let value = 0; value < Math.max(count, 1); value++) {
        index = bodyStart;
        body = block({ ...values, [variable]: value }, true);
        if (value < count) out.push(...body);
      }
    }
    if (closing) throw new Error(`${shaderName}: //#unroll without //#end`);
    return out;
  }

  return block(defines, false).join('\n');
}
