// wgsl_reflect's package `main` is a CommonJS file under "type": "module", which Node cannot import; its ES module
// build is imported by path instead, with the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
