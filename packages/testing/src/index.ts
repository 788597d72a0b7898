/**
 * `@minik8s/testing`: support code for tests, used only as a devDependency. It depends
 * on no other workspace package, so every package (the API server and the client
 * included) can use it without a cycle. The real API server fixture lives with the
 * server, in `@minik8s/apiserver/testing`.
 */
export * from './eventually.ts';
export * from './run-command.ts';
