// Waiting on a call without letting it outlast the invocation: Lambda kills a function at its timeout,
// and then nothing it meant to send goes out.

export type Settled<T> = { settled: true; value: T } | { settled: false };

/** `promise`'s value if it settles within `ms`, else `{ settled: false }` (a rejection still rejects). */
export async function settleWithin<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise.then((value): Settled<T> => ({ settled: true, value })), expired]);
  } finally {
    clearTimeout(timer);
  }
}
