/** `@minik8s/controller-manager`: the controllers, and a way to run them in-process. */
export {
  CONTROLLERS,
  type ControllerManagerOptions,
  type LeaderElectionConfig,
  type RunningControllerManager,
  runControllerManager,
  selectControllers,
  startControllerManager,
} from './controller-manager.ts';
export { DeploymentController } from './deployment/deployment-controller.ts';
export { GarbageCollector } from './garbage-collector/garbage-collector.ts';
export { ReplicaSetController } from './replicaset/replicaset-controller.ts';
