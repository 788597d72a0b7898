export * from './errors.ts';
export * from './field-labels.ts';
export {
  andFieldSelectors,
  escapeFieldSelectorValue,
  type FieldOperator,
  type FieldRequirement,
  FieldSelector,
  type Fields,
  type FieldTransform,
  fieldSelectorFromSet,
  oneTermEqualFieldSelector,
  parseAndTransformFieldSelector,
  parseFieldSelector,
  unescapeFieldSelectorValue,
} from './fields.ts';
export * from './label-parse.ts';
export * from './label-selector-object.ts';
export {
  LABEL_OPERATORS,
  type LabelOperator,
  LabelSelector,
  type Labels,
  newRequirement,
  Requirement,
  selectorFromSet,
  validatedSelectorFromSet,
} from './labels.ts';
export * from './types.ts';
