/** The API object form of a label selector (metav1.LabelSelector), as it appears in specs. */

/** metav1.LabelSelectorOperator. */
export type MetaLabelSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface MetaLabelSelectorRequirement {
  key: string;
  /** One of In, NotIn, Exists, DoesNotExist; anything else is rejected. */
  operator: MetaLabelSelectorOperator | (string & {});
  values?: string[] | null;
}

export interface MetaLabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: MetaLabelSelectorRequirement[] | null;
}
