declare module '@echogarden/speex-resampler-wasm/simd' {
  const factory: () => Promise<Record<string, any>>;
  export default factory;
}
