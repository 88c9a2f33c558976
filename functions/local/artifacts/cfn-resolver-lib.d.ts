/**
 * Types for `cfn-resolver-lib` (which ships none): its one export, the NodeEvaluator class, as
 * its README documents it.
 */
declare module 'cfn-resolver-lib' {
  /** Values the evaluator substitutes; every map is keyed as the README describes. */
  export interface ResolverParameters {
    /** `Ref` targets and pseudo parameters; also the names a string `Fn::Sub` may use. */
    RefResolvers?: Record<string, unknown>;
    'Fn::GetAttResolvers'?: Record<string, Record<string, unknown>>;
    'Fn::ImportValueResolvers'?: Record<string, unknown>;
    ArnSchemas?: Record<string, string>;
  }

  export default class NodeEvaluator {
    constructor(template: object, parameters?: ResolverParameters, enableVerboseLogging?: boolean);
    /** The template with every intrinsic it can resolve replaced by its value. */
    evaluateNodes(overrideParameters?: ResolverParameters): Record<string, unknown>;
  }
}
