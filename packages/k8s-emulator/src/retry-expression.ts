// retryStrategy.expression for the simulated controller: the part of expr-lang (the language Argo evaluates it
// in) that retry conditions use: `||`, `&&`, `!`, comparisons, `matches` (a regular expression; JavaScript's
// here, RE2 in Argo: the same for plain alternatives and anchors), string/number/boolean literals, `asInt(…)`,
// `asFloat(…)` and the `lastRetry.*` variables Argo documents (exitCode, status, duration, message; all
// strings, as in Argo). Anything else is refused with a message that names it: this is NOT expr-lang.

export interface LastRetry {
  exitCode: string;
  status: string;
  duration: string;
  message: string;
}

type Value = string | number | boolean;

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'op'; value: string };

const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '<', '>', '!', '(', ')', ',', '.'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const char = source[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (char === '"' || char === "'") {
      let value = '';
      i++;
      while (i < source.length && source[i] !== char) {
        if (source[i] === '\\' && i + 1 < source.length) {
          const next = source[i + 1] as string;
          value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
          i += 2;
        } else {
          value += source[i];
          i++;
        }
      }
      if (i >= source.length) throw new Error('unterminated string literal');
      i++;
      tokens.push({ kind: 'string', value });
    } else if (/\d/.test(char)) {
      const match = /^\d+(\.\d+)?/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'number', value: Number(match[0]) });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'name', value: match[0] });
      i += match[0].length;
    } else {
      const op = OPERATORS.find((candidate) => source.startsWith(candidate, i));
      if (!op) throw new Error(`unexpected character "${char}"`);
      tokens.push({ kind: 'op', value: op });
      i += op.length;
    }
  }
  return tokens;
}

/** Evaluates `expression` for the attempt that just ended; throws (with the reason) on what it cannot read. */
export function evaluateRetryExpression(expression: string, lastRetry: LastRetry): boolean {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = (): Token | undefined => tokens[position];
  const isOp = (value: string): boolean => {
    const token = peek();
    return token?.kind === 'op' && token.value === value;
  };
  const expect = (value: string): void => {
    if (!isOp(value)) throw new Error(`expected "${value}" at token ${position + 1}`);
    position++;
  };
  const truthy = (value: Value): boolean => {
    if (typeof value !== 'boolean') throw new Error(`"${String(value)}" is not a boolean`);
    return value;
  };

  const primary = (): Value => {
    const token = peek();
    if (!token) throw new Error('unexpected end of expression');
    position++;
    if (token.kind === 'string' || token.kind === 'number') return token.value;
    if (token.kind === 'op' && token.value === '(') {
      const value = or();
      expect(')');
      return value;
    }
    if (token.kind === 'name') {
      if (token.value === 'true' || token.value === 'false') return token.value === 'true';
      if (token.value === 'asInt' || token.value === 'asFloat') {
        expect('(');
        const argument = or();
        expect(')');
        const number = Number(argument);
        if (Number.isNaN(number)) throw new Error(`${token.value}("${String(argument)}") is not a number`);
        return token.value === 'asInt' ? Math.trunc(number) : number;
      }
      if (token.value === 'lastRetry') {
        expect('.');
        const field = peek();
        position++;
        if (field?.kind !== 'name' || !(field.value in lastRetry)) {
          throw new Error(`lastRetry has no field ${field ? String(field.value) : ''}`);
        }
        return lastRetry[field.value as keyof LastRetry];
      }
      throw new Error(`unknown name ${token.value} (the simulated controller knows lastRetry.* only)`);
    }
    throw new Error(`unexpected "${String(token.value)}"`);
  };
  const unary = (): Value => {
    if (isOp('!')) {
      position++;
      return !truthy(unary());
    }
    return primary();
  };
  const comparison = (): Value => {
    const left = unary();
    const token = peek();
    if (token?.kind === 'name' && token.value === 'matches') {
      position++;
      const pattern = unary();
      return new RegExp(String(pattern)).test(String(left));
    }
    if (token?.kind === 'op' && ['==', '!=', '<', '>', '<=', '>='].includes(token.value)) {
      position++;
      const right = unary();
      switch (token.value) {
        case '==':
          return left === right;
        case '!=':
          return left !== right;
        case '<':
          return Number(left) < Number(right);
        case '>':
          return Number(left) > Number(right);
        case '<=':
          return Number(left) <= Number(right);
        default:
          return Number(left) >= Number(right);
      }
    }
    return left;
  };
  const and = (): Value => {
    let value = comparison();
    while (isOp('&&')) {
      position++;
      const right = comparison();
      value = truthy(value) && truthy(right);
    }
    return value;
  };
  const or = (): Value => {
    let value = and();
    while (isOp('||')) {
      position++;
      const right = and();
      value = truthy(value) || truthy(right);
    }
    return value;
  };

  const result = or();
  if (position < tokens.length) throw new Error(`unexpected token ${position + 1}`);
  return truthy(result);
}
