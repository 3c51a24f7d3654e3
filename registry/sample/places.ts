// Real town and street (镇/街道) names of Wuxi with rough WGS-84 positions, used only as
// cluster centres for the synthetic sample: facilities are invented, but they cluster where
// people live rather than spreading uniformly over farmland and Taihu's water, which lies
// inside the 滨湖 and 宜兴 outlines. Positions are approximate (about 1 km); the sampler
// rejects any point outside its district outline, so an imprecise centre only costs retries.
import type { District } from '../../contracts/registry.ts'

export interface Place {
  name: string
  lon: number
  lat: number
  /** Relative share of the district's bins and vehicles; urban cores weigh more. */
  weight: number
}

export interface DistrictInfo {
  name: District
  /** Name as written on a facility, e.g. 梁溪区扬名转运站. */
  prefix: string
  /** Two-letter code used in sample ids (ts-lx-01). */
  code: string
  /** Share of the city's bins and vehicles. */
  share: number
  places: readonly Place[]
}

const p = (name: string, lon: number, lat: number, weight: number): Place => ({ name, lon, lat, weight })

export const DISTRICTS: readonly DistrictInfo[] = [
  {
    name: '梁溪',
    prefix: '梁溪区',
    code: 'lx',
    share: 0.17,
    places: [
      p('崇安', 120.302, 31.58, 3),
      p('扬名', 120.312, 31.556, 3),
      p('广益', 120.326, 31.59, 2),
      p('黄巷', 120.288, 31.612, 2),
      p('金星', 120.31, 31.57, 2),
      p('清名桥', 120.305, 31.56, 2),
      p('通江', 120.3, 31.6, 2),
      p('山北', 120.272, 31.6, 1),
      p('金匮', 120.316, 31.548, 2),
      p('上马墩', 120.325, 31.602, 1),
      p('江海', 120.29, 31.595, 2)
    ]
  },
  {
    name: '锡山',
    prefix: '锡山区',
    code: 'xs',
    share: 0.11,
    places: [
      p('东亭', 120.365, 31.59, 4),
      p('安镇', 120.44, 31.62, 2),
      p('东港', 120.51, 31.65, 1),
      p('锡北', 120.43, 31.7, 1),
      p('羊尖', 120.48, 31.61, 1),
      p('鹅湖', 120.52, 31.56, 1),
      p('厚桥', 120.43, 31.66, 1),
      p('东北塘', 120.39, 31.65, 1),
      p('云林', 120.395, 31.61, 2)
    ]
  },
  {
    name: '惠山',
    prefix: '惠山区',
    code: 'hs',
    share: 0.11,
    places: [
      p('堰桥', 120.29, 31.675, 3),
      p('长安', 120.27, 31.65, 2),
      p('钱桥', 120.23, 31.62, 2),
      p('洛社', 120.18, 31.65, 2),
      p('阳山', 120.12, 31.6, 1),
      p('前洲', 120.21, 31.71, 1),
      p('玉祁', 120.16, 31.695, 1),
      p('石塘湾', 120.24, 31.69, 1)
    ]
  },
  {
    name: '滨湖',
    prefix: '滨湖区',
    code: 'bh',
    share: 0.1,
    places: [
      p('河埒', 120.262, 31.568, 3),
      p('荣巷', 120.23, 31.565, 2),
      p('蠡园', 120.27, 31.545, 2),
      p('蠡湖', 120.255, 31.53, 2),
      p('胡埭', 120.14, 31.56, 1),
      p('马山', 120.1, 31.44, 1),
      p('山水城', 120.22, 31.54, 1),
      p('梅园', 120.23, 31.555, 1)
    ]
  },
  {
    name: '新吴',
    prefix: '新吴区',
    code: 'xw',
    share: 0.12,
    places: [
      p('旺庄', 120.37, 31.555, 3),
      p('硕放', 120.43, 31.5, 2),
      p('梅村', 120.41, 31.56, 2),
      p('鸿山', 120.47, 31.5, 1),
      p('新安', 120.38, 31.51, 2),
      p('江溪', 120.392, 31.562, 2),
      p('坊前', 120.44, 31.54, 1)
    ]
  },
  {
    name: '江阴',
    prefix: '江阴市',
    code: 'jy',
    share: 0.19,
    places: [
      p('澄江', 120.285, 31.905, 5),
      p('南闸', 120.26, 31.86, 1),
      p('云亭', 120.33, 31.88, 2),
      p('夏港', 120.24, 31.915, 1),
      p('申港', 120.15, 31.925, 1),
      p('利港', 120.08, 31.95, 1),
      p('璜土', 120.06, 31.91, 1),
      p('月城', 120.19, 31.872, 1),
      p('青阳', 120.22, 31.81, 1),
      p('徐霞客', 120.28, 31.82, 1),
      p('华士', 120.45, 31.84, 2),
      p('周庄', 120.39, 31.86, 2),
      p('新桥', 120.37, 31.81, 1),
      p('长泾', 120.44, 31.76, 1),
      p('顾山', 120.52, 31.78, 1),
      p('祝塘', 120.39, 31.75, 1)
    ]
  },
  {
    name: '宜兴',
    prefix: '宜兴市',
    code: 'yx',
    share: 0.15,
    places: [
      p('宜城', 119.82, 31.36, 5),
      p('屺亭', 119.85, 31.4, 1),
      p('新庄', 119.81, 31.42, 1),
      p('丁蜀', 119.86, 31.28, 3),
      p('张渚', 119.7, 31.23, 1),
      p('和桥', 119.82, 31.47, 2),
      p('官林', 119.76, 31.51, 1),
      p('高塍', 119.88, 31.51, 1),
      p('徐舍', 119.68, 31.38, 1),
      p('周铁', 119.95, 31.44, 1),
      p('新街', 119.84, 31.38, 1),
      p('万石', 119.75, 31.55, 1),
      p('芳桥', 119.9, 31.45, 1),
      p('杨巷', 119.62, 31.44, 1),
      p('湖㳇', 119.79, 31.2, 1)
    ]
  },
  {
    name: '经开区',
    prefix: '经开区',
    code: 'jk',
    share: 0.05,
    places: [
      p('太湖新城', 120.305, 31.49, 3),
      p('华庄', 120.325, 31.502, 2),
      p('雪浪', 120.265, 31.485, 1),
      p('太湖街道', 120.338, 31.484, 2),
      p('尚贤', 120.29, 31.497, 1)
    ]
  }
]
