/** PersistentVolumes: created with the status their creator sends (see keepStatusOnCreate). */
import { defineStrategy, keepStatusOnCreate } from '../strategy.ts';

export const persistentVolumeStrategy = defineStrategy('', 'PersistentVolume', keepStatusOnCreate);
