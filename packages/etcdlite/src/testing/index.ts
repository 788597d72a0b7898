export { ETCD_BIN, type RunningStore, freePorts, startEtcdProcess, startEtcdliteProcess } from './processes.ts';
export { makeTestPki, type Pem } from './certs.ts';
