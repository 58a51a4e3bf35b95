/**
 * The adapters' shared core: binding a source's tools and calls, and shaping schemas.
 */
export {
  ToolBinding,
  isHost,
  type ToolSource,
  type KeyOption,
  type AdapterOptions,
  type BoundCall,
} from './binding.js';
export {
  shapeSchema,
  unshapeArguments,
  SHAPE_MAX_DEPTH,
  SHAPE_MAX_NODES,
  type SchemaMode,
  type JsonSchemaObject,
} from './schema.js';
