// A statement's LIMIT written into its text instead of sent as a parameter.
//
// Repeated statements run as prepared statements (prepared.ts), and after a few runs
// PostgreSQL may plan them once for any parameters (a generic plan). A LIMIT that is a
// parameter is unknown to that plan, which then assumes a tenth of the rows are wanted:
// for a rep's customer list it chose a parallel scan of every live customer (48 ms)
// instead of the owner's index (0.4 ms). Page sizes are constants of the code, so the
// text stays the same from run to run and the plan knows it wants 51 rows. Only the
// statement's own LIMIT is rewritten (a constant-time check, no walk of the query);
// a subquery's LIMIT is written with sql.lit() where it matters.
import { LimitNode, ValueNode, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely'

export class LiteralLimits implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind !== 'SelectQueryNode' || !node.limit) return node
    const v = node.limit.limit
    if (!ValueNode.is(v) || v.immediate || !Number.isSafeInteger(v.value)) return node
    return Object.freeze({ ...node, limit: LimitNode.create(ValueNode.createImmediate(v.value)) })
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result
  }
}
