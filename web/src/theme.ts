/** One theme object: every colour the map uses comes from here. */
export interface Theme {
  background: string;
  bannerOutline: string;
  leagueOutline: string;
  selectedOutline: string;
  /** Population density classes (people per km²), upper bounds and colours. */
  density: { breaks: number[]; colors: string[] };
}

export const theme: Theme = {
  background: '#eef1f4',
  bannerOutline: '#ffffff',
  leagueOutline: '#37474f',
  selectedOutline: '#d81b60',
  density: {
    breaks: [5, 20, 50, 100, 300],
    colors: ['#f7fcf5', '#c7e9c0', '#74c476', '#31a354', '#006d2c', '#00441b'],
  },
};
