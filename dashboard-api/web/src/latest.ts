/**
 * Answers can come back in another order than they were asked for (a slow closed day, a search
 * typed on): only the last one asked for may be shown. Call the returned function when asking;
 * what it gives says, once the answer is in, whether that request is still the latest.
 */
export function latestOnly(): () => () => boolean {
  let asked = 0
  return () => {
    const mine = ++asked
    return () => mine === asked
  }
}
