/** Resamples a whole clip at once: the body, then the filter's tail, as one array. */
import { Resampler } from './resampler.js';

/**
 * `alignStart` drops the filter's delay at the start, so the output starts where the input did
 * (for clips measured against their source); without it the output is what a stream would get.
 */
export function resampleWhole(input: Int16Array, inRateHz: number, outRateHz: number, options: { alignStart?: boolean } = {}): Int16Array {
  if (inRateHz === outRateHz) return input;
  const resampler = new Resampler({ inRateHz, outRateHz });
  const skip = options.alignStart ? Math.round((resampler.delayInputSamples * outRateHz) / inRateHz) : 0;
  const body = resampler.process(input);
  const tail = resampler.flush(input);
  const out = new Int16Array(body.length + tail.length);
  out.set(body);
  out.set(tail, body.length);
  return out.subarray(skip);
}
