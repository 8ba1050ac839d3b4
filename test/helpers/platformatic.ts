// @platformatic/kafka, loaded for the tests and the benchmarks. It targets Node 22+ and on Node 20
// only lacks Promise.withResolvers, which is put in place before the package is imported.
const promiseWithResolvers = Promise as unknown as { withResolvers?: unknown };
promiseWithResolvers.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
};

export const platformatic = await import("@platformatic/kafka");
