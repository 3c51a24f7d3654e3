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
    name: '梁溪', prefix: '梁溪区', code: 'lx', share: 0.17,
    places: [
      p('崇安', 120.302, 31.580, 3), p('扬名', 120.312, 31.556, 3), p('广益', 120.326, 31.590, 2),
      p('黄巷', 120.288, 31.612, 2), p('金星', 120.310, 31.570, 2), p('清名桥', 120.305, 31.560, 2),
      p('通江', 120.300, 31.600, 2), p('山北', 120.272, 31.600, 1), p('金匮', 120.316, 31.548, 2),
      p('上马墩', 120.325, 31.602, 1), p('江海', 120.290, 31.595, 2),
    ],
  },
  {
    name: '锡山', prefix: '锡山区', code: 'xs', share: 0.11,
    places: [
      p('东亭', 120.365, 31.590, 4), p('安镇', 120.440, 31.620, 2), p('东港', 120.510, 31.650, 1),
      p('锡北', 120.430, 31.700, 1), p('羊尖', 120.480, 31.610, 1), p('鹅湖', 120.520, 31.560, 1),
      p('厚桥', 120.430, 31.660, 1), p('东北塘', 120.390, 31.650, 1), p('云林', 120.395, 31.610, 2),
    ],
  },
  {
    name: '惠山', prefix: '惠山区', code: 'hs', share: 0.11,
    places: [
      p('堰桥', 120.290, 31.675, 3), p('长安', 120.270, 31.650, 2), p('钱桥', 120.230, 31.620, 2),
      p('洛社', 120.180, 31.650, 2), p('阳山', 120.120, 31.600, 1), p('前洲', 120.210, 31.710, 1),
      p('玉祁', 120.160, 31.695, 1), p('石塘湾', 120.240, 31.690, 1),
    ],
  },
  {
    name: '滨湖', prefix: '滨湖区', code: 'bh', share: 0.10,
    places: [
      p('河埒', 120.262, 31.568, 3), p('荣巷', 120.230, 31.565, 2), p('蠡园', 120.270, 31.545, 2),
      p('蠡湖', 120.255, 31.530, 2), p('胡埭', 120.140, 31.560, 1), p('马山', 120.100, 31.440, 1),
      p('山水城', 120.220, 31.540, 1), p('梅园', 120.230, 31.555, 1),
    ],
  },
  {
    name: '新吴', prefix: '新吴区', code: 'xw', share: 0.12,
    places: [
      p('旺庄', 120.370, 31.555, 3), p('硕放', 120.430, 31.500, 2), p('梅村', 120.410, 31.560, 2),
      p('鸿山', 120.470, 31.500, 1), p('新安', 120.380, 31.510, 2), p('江溪', 120.392, 31.562, 2),
      p('坊前', 120.440, 31.540, 1),
    ],
  },
  {
    name: '江阴', prefix: '江阴市', code: 'jy', share: 0.19,
    places: [
      p('澄江', 120.285, 31.905, 5), p('南闸', 120.260, 31.860, 1), p('云亭', 120.330, 31.880, 2),
      p('夏港', 120.240, 31.915, 1), p('申港', 120.150, 31.925, 1), p('利港', 120.080, 31.950, 1),
      p('璜土', 120.060, 31.910, 1), p('月城', 120.190, 31.872, 1), p('青阳', 120.220, 31.810, 1),
      p('徐霞客', 120.280, 31.820, 1), p('华士', 120.450, 31.840, 2), p('周庄', 120.390, 31.860, 2),
      p('新桥', 120.370, 31.810, 1), p('长泾', 120.440, 31.760, 1), p('顾山', 120.520, 31.780, 1),
      p('祝塘', 120.390, 31.750, 1),
    ],
  },
  {
    name: '宜兴', prefix: '宜兴市', code: 'yx', share: 0.15,
    places: [
      p('宜城', 119.820, 31.360, 5), p('屺亭', 119.850, 31.400, 1), p('新庄', 119.810, 31.420, 1),
      p('丁蜀', 119.860, 31.280, 3), p('张渚', 119.700, 31.230, 1), p('和桥', 119.820, 31.470, 2),
      p('官林', 119.760, 31.510, 1), p('高塍', 119.880, 31.510, 1), p('徐舍', 119.680, 31.380, 1),
      p('周铁', 119.950, 31.440, 1), p('新街', 119.840, 31.380, 1), p('万石', 119.750, 31.550, 1),
      p('芳桥', 119.900, 31.450, 1), p('杨巷', 119.620, 31.440, 1), p('湖㳇', 119.790, 31.200, 1),
    ],
  },
  {
    name: '经开区', prefix: '经开区', code: 'jk', share: 0.05,
    places: [
      p('太湖新城', 120.305, 31.490, 3), p('华庄', 120.325, 31.502, 2), p('雪浪', 120.265, 31.485, 1),
      p('太湖街道', 120.338, 31.484, 2), p('尚贤', 120.290, 31.497, 1),
    ],
  },
]
