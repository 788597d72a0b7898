/**
 * `minik8s-kubelet`: the node agent. Flag names follow the kubelet's where there is one.
 */
import { readFileSync } from 'node:fs';
import { KUBECONFIG_FLAG, runComponent } from '@minik8s/client/runtime';
import { DEFAULT_INFRA_IMAGE, startKubelet } from './kubelet.ts';
import { defaultNodeName } from './node-status.ts';

await runComponent({
  command: 'minik8s-kubelet',
  component: 'kubelet',
  flags: {
    kubeconfig: KUBECONFIG_FLAG,
    'hostname-override': { type: 'string', arg: 'NAME', help: "the node's name (default: the hostname)" },
    'pod-cidr': { type: 'string', arg: 'CIDR', help: "this node's Pod addresses, e.g. 10.244.1.0/24 (default: Docker picks)" },
    'pod-network': { type: 'string', arg: 'NAME', default: 'minik8s-pods', help: 'the Docker network Pods join' },
    'node-ip': { type: 'string', arg: 'IP', help: "the InternalIP address (default: this machine's address on the pod network)" },
    address: { type: 'string', arg: 'IP', default: '0.0.0.0', help: 'where the node server listens' },
    port: { type: 'port', arg: 'N', default: '10250', help: "the node server's port" },
    'tls-cert-file': { type: 'string', arg: 'FILE', help: 'serve HTTPS with this certificate ...' },
    'tls-private-key-file': { type: 'string', arg: 'FILE', help: '... and key' },
    'client-ca-file': { type: 'string', arg: 'FILE', help: 'require client certificates signed by this CA' },
    'pod-infra-container-image': { type: 'string', arg: 'IMAGE', default: DEFAULT_INFRA_IMAGE, help: 'the sandbox image (running sleep infinity)' },
    'crashloop-initial-delay': { type: 'duration', default: '10s', help: 'first crash-loop back-off, e.g. 10s, 500ms (doubling to 5m)' },
    'local-image-fallback': {
      type: 'bool',
      default: 'false',
      help: 'when a pull fails and an image of that exact name is on the node, run it (Warning PulledLocal); not an upstream flag',
    },
    cpus: { type: 'string', arg: 'N', help: 'capacity override (default: from Docker)' },
    memory: { type: 'string', arg: 'QUANTITY', help: 'capacity override, e.g. 4Gi (default: from Docker)' },
    'node-status-update-frequency': { type: 'duration', default: '10s', help: 'how often the node status (conditions, heartbeat) is posted' },
    'node-lease-duration-seconds': {
      type: 'int',
      min: 1,
      default: '40',
      help: "the node Lease's leaseDurationSeconds; it is renewed every quarter of that (10 s by default); a KubeletConfiguration field upstream",
    },
    'max-pods': { type: 'int', arg: 'N', min: 1, default: '110', help: 'Pods this node takes' },
    'root-dir': { type: 'string', arg: 'DIR', default: '/var/lib/minik8s-kubelet', help: 'state directory, per-Pod files' },
    'cluster-dns': { type: 'list', arg: 'IP[,IP]', help: 'the cluster DNS: Pods with dnsPolicy ClusterFirst use it' },
    'cluster-domain': { type: 'string', arg: 'DOMAIN', default: 'cluster.local', help: 'the cluster DNS domain' },
    'resolv-conf': { type: 'string', arg: 'FILE', default: '/etc/resolv.conf', help: "the node's resolver configuration for Pods" },
    'pod-route': { type: 'list', arg: 'CIDR', help: 'a range every Pod routes through this node, e.g. the Service CIDR (repeatable)' },
  },
  async start({ flags: f, log, kubeClient }) {
    const certFile = f['tls-cert-file'];
    const keyFile = f['tls-private-key-file'];
    if (!!certFile !== !!keyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
    const caFile = f['client-ca-file'];
    const running = await startKubelet({
      client: kubeClient(),
      nodeName: (f['hostname-override'] ?? defaultNodeName()).toLowerCase(),
      podCidr: f['pod-cidr'],
      podNetwork: f['pod-network'],
      nodeIP: f['node-ip'],
      address: f.address,
      port: f.port,
      tls: certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile), ...(caFile ? { ca: readFileSync(caFile) } : {}) } : undefined,
      infraImage: f['pod-infra-container-image'],
      crashLoopInitialMs: f['crashloop-initial-delay'],
      localImageFallback: f['local-image-fallback'],
      cpus: f.cpus,
      memory: f.memory,
      maxPods: f['max-pods'],
      nodeStatusMs: f['node-status-update-frequency'],
      leaseDurationSeconds: f['node-lease-duration-seconds'],
      logger: log,
      rootDir: f['root-dir'],
      clusterDNS: f['cluster-dns'],
      clusterDomain: f['cluster-domain'],
      resolvConf: f['resolv-conf'],
      podRoutes: f['pod-route'],
    });
    log.info({ node: running.nodeName, port: running.port }, 'kubelet running');
    return running;
  },
});
