/** `@minik8s/apiserver/testing`: fixtures for other packages' tests (a devDependency). */
export * from './cluster.ts';
export * from './fake-kubelet.ts';
