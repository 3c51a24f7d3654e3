// Single-file components, for the TypeScript modules that import them (the components
// themselves are compiled by Vite).
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}
