import { MixprecError } from '../errors/mixprec-error.js';
import { OPS } from '../ops/catalogue.js';
import { inferNode } from '../ops/infer.js';
import type { Graph } from './graph.js';
import { formatShape } from './graph.js';

/**
 * Checks a graph before it reaches a backend: inputs precede their users, every node's
 * shape and dtype are what inference gives. Fails with the node index, op, dtypes and shapes.
 */
export function verifyGraph(graph: Graph): void {
  graph.nodes.forEach((node, i) => {
    const where = () => `verifyGraph: node ${i} (${node.op})`;
    if (!(node.op in OPS))
      throw new MixprecError(`${where()}: unknown op; expected one of the catalogue`);
    for (const j of node.inputs) {
      if (!(j >= 0 && j < i))
        throw new MixprecError(
          `${where()}: input index ${j}; expected an earlier node (0..${i - 1})`,
        );
    }
    const kind = OPS[node.op].kind;
    if (kind === 'source') {
      if (node.inputs.length > 0)
        throw new MixprecError(
          `${where()}: a source node has ${node.inputs.length} inputs; expected none`,
        );
      if (node.shape.some((d) => !Number.isInteger(d) || d < 0))
        throw new MixprecError(
          `${where()}: shape ${formatShape(node.shape)}; expected non-negative integer dims`,
        );
      return;
    }
    const inputs = node.inputs.map((j) => graph.nodes[j]);
    let inferred: ReturnType<typeof inferNode>;
    try {
      inferred = inferNode(node.op, node.attrs as never, inputs);
    } catch (error) {
      throw new MixprecError(`${where()}: ${(error as Error).message}`, { cause: error });
    }
    const same =
      inferred.dtype === node.dtype && formatShape(inferred.shape) === formatShape(node.shape);
    if (!same) {
      throw new MixprecError(
        `${where()}: recorded ${node.dtype}${formatShape(node.shape)}; inference gives ${inferred.dtype}${formatShape(inferred.shape)} from inputs ${inputs.map((n) => `${n.dtype}${formatShape(n.shape)}`).join(', ')}`,
      );
    }
  });
  for (const j of graph.outputs) {
    if (!(j >= 0 && j < graph.nodes.length))
      throw new MixprecError(
        `verifyGraph: output index ${j}; expected 0..${graph.nodes.length - 1}`,
      );
  }
  // graph.inputs must list every `input` node exactly once, in node order.
  const inputNodes = graph.nodes.flatMap((n, i) => (n.op === 'input' ? [i] : []));
  if (inputNodes.join(',') !== graph.inputs.join(',')) {
    throw new MixprecError(
      `verifyGraph: graph.inputs [${graph.inputs.join(',')}]; expected the input nodes in order [${inputNodes.join(',')}]`,
    );
  }
}
