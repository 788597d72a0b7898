import type { Node, NodeCondition } from '@minik8s/api';

export function getNodeCondition(node: Node, type: string): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === type);
}
