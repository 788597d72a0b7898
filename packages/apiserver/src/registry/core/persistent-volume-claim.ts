/** PersistentVolumeClaims: volumeMode defaults to Filesystem; created with the status their creator sends (see keepStatusOnCreate). */
import { defaultPersistentVolumeClaim } from '@minik8s/api';
import { defineStrategy, keepStatusOnCreate } from '../strategy.ts';

export const persistentVolumeClaimStrategy = defineStrategy('', 'PersistentVolumeClaim', { ...keepStatusOnCreate, defaults: defaultPersistentVolumeClaim });
