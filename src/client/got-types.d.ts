// The project compiles with `moduleResolution: "node"`, which ignores package.json "exports", and
// got 14 declares its types only there. Node10 resolution does find the subpath, so point the
// bare specifier at it. Types only: at run time swc (Jest), tsx and esbuild resolve "got" normally.
// Remove once tsconfig uses a resolution mode that reads "exports" (e.g. "bundler" or "node16").
declare module "got" {
  export * from "got/dist/source/index";
  export { default } from "got/dist/source/index";
}
