export { makeTestPki, type Pem } from './certs.ts';
export { ETCD_BIN, freePorts, type RunningStore, startEtcdliteProcess, startEtcdProcess } from './processes.ts';
