/** PersistentVolumeClaims: created with the status their creator sends (see keepStatusOnCreate). */
import { defineStrategy, keepStatusOnCreate } from '../strategy.ts';

export const persistentVolumeClaimStrategy = defineStrategy('', 'PersistentVolumeClaim', keepStatusOnCreate);
