/**
 * The two published rule sets:
 * - `hysm`: "How you see me" (Gandikota & Mishra): keep every positive contributor at the fc→spatial boundary and at
 *   a global average pool; in a convolution take the strongest position inside the strongest input channel.
 * - `official`: "CNN Fixations" (Mopuri, Garg & Babu, IEEE TIP), as its reference code does it: keep only the single
 *   largest contributor at the boundary, the argmax at a global average pool, and the window centre in a convolution.
 * Both keep every positive contributor between fully connected layers and the argmax of a max-pool. Each op's folder
 * says what the rules mean for it.
 */
export type Rule = 'hysm' | 'official';
export const rules: readonly Rule[] = ['hysm', 'official'];
