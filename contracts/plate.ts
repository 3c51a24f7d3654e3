import { z } from 'zod'

// One licence-plate rule for the registry and for weighbridge tickets.

const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼'
/**
 * Chinese plates (GA 36-2018): province + city letter + 5 characters (letters without I and
 * O, digits), or new-energy: 6 characters, D/F first for small vehicles (苏BD12345) or last for
 * large ones (苏B12345D) — collection trucks are large vehicles.
 */
export const PLATE_PATTERN = new RegExp(
  `^[${PROVINCES}][A-Z](?:[A-HJ-NP-Z0-9]{5}|[DF][A-HJ-NP-Z0-9][0-9]{4}|[0-9]{5}[DF])$`
)
export const Plate = z
  .string()
  .regex(PLATE_PATTERN, { error: 'must be a Chinese plate such as 苏B12345, 苏BD12345 or 苏B12345D' })
export type Plate = z.infer<typeof Plate>
