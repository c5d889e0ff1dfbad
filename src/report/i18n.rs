//! The report's words and number formats in Finnish, Swedish and English (`--lang`).

use crate::lang::Lang;

/// Every fixed text of the reports, in one language.
#[derive(Debug, serde::Serialize)]
pub struct Words {
    pub title: &'static str,
    pub undated: &'static str,
    pub headline: &'static str,
    pub comments_analysed: &'static str,
    pub from_answers: &'static str,
    pub rows_read: &'static str,
    pub rejected: &'static str,
    pub languages: &'static str,
    pub channels: &'static str,
    pub nps_from: &'static str,
    pub mean: &'static str,
    pub answered_45: &'static str,
    pub change_from_previous: &'static str,
    pub points: &'static str,
    pub sentiment_of_comments: &'static str,
    pub registry_action: &'static str,
    /// Language codes (fi, sv, en, other) by name, for the language line.
    pub language_names: [(&'static str, &'static str); 4],
    /// Triage classes by name, for the registry line.
    pub triage_names: [(&'static str, &'static str); 4],
    pub themes: &'static str,
    pub theme: &'static str,
    pub comments: &'static str,
    pub answers: &'static str,
    pub share: &'static str,
    pub negative_positive: &'static str,
    pub nps_with: &'static str,
    pub nps_without: &'static str,
    pub impact: &'static str,
    pub lift: &'static str,
    pub mean_1_5: &'static str,
    pub themes_sorted: &'static str,
    pub lift_explained: &'static str,
    pub trends: &'static str,
    pub trends_explained: &'static str,
    pub month: &'static str,
    pub units: &'static str,
    pub unit: &'static str,
    pub small_group: &'static str,
    pub quotes: &'static str,
    pub quotes_explained: &'static str,
    pub method: &'static str,
    pub significant: &'static str,
    pub positive: &'static str,
    pub negative: &'static str,
    pub mixed: &'static str,
    pub neutral: &'static str,
    pub chart_themes: &'static str,
    pub chart_lift: &'static str,
    pub chart_nps_month: &'static str,
    pub summary: &'static str,
    pub comment: &'static str,
    pub sentiment: &'static str,
    pub triage: &'static str,
    pub date: &'static str,
    pub language: &'static str,
    pub none: &'static str,
    pub shares_by_month: &'static str,
    pub theme_unit: &'static str,
    pub method_rules: &'static str,
    pub method_model: &'static str,
    pub rules_only: &'static str,
    pub patterns: &'static str,
    pub tags_rule: &'static str,
    pub tags_model: &'static str,
    pub overruled: &'static str,
    pub nps_method: &'static str,
    pub score_method: &'static str,
    pub change_method: &'static str,
    pub heldout_f1: &'static str,
    pub taxonomy: &'static str,
    pub model_word: &'static str,
    pub no_model: &'static str,
    pub sorted_by_count: &'static str,
}

pub const FI: Words = Words {
    title: "Asiakaspalauteraportti",
    undated: "päiväämätön",
    headline: "Tiivistelmä",
    comments_analysed: "kommenttia analysoitu",
    from_answers: "vastauksesta",
    rows_read: "riviä luettu",
    rejected: "hylätty",
    languages: "Kielet",
    channels: "Kanavat",
    nps_from: "vastausta suositteluun",
    mean: "keskiarvo",
    answered_45: "vastasi 4–5",
    change_from_previous: "Muutos edellisestä kuukaudesta",
    points: "pistettä",
    sentiment_of_comments: "Kommenttien sävy",
    registry_action: "Kirjaamon toimenpiteitä vaativat",
    language_names: [
        ("fi", "suomi"),
        ("sv", "ruotsi"),
        ("en", "englanti"),
        ("other", "muu"),
    ],
    triage_names: [
        ("urgent", "kiireellinen"),
        ("possible_urgent", "mahdollisesti kiireellinen"),
        ("formal", "muistutus tai kantelu"),
        ("contact_requested", "yhteydenottopyyntö"),
    ],
    themes: "Teemat",
    theme: "Teema",
    comments: "Kommentit",
    answers: "Vastaukset",
    share: "Osuus",
    negative_positive: "Kielteisiä / myönteisiä lausumia",
    nps_with: "NPS teeman kanssa",
    nps_without: "NPS ilman teemaa",
    impact: "Vaikutus",
    lift: "NPS-potentiaali",
    mean_1_5: "Keskiarvo 1–5",
    themes_sorted: "Teemat on järjestetty sen mukaan, kuinka paljon ne laskevat tai nostavat kokonais-NPS:ää.",
    lift_explained: "NPS-potentiaali: kuinka monta pistettä kokonais-NPS nousisi, jos teeman maininneet vastaajat olisivat yhtä tyytyväisiä kuin muut (teeman vastaajien suosittelija- ja arvostelijaosuudet korvataan muiden osuuksilla). Negatiivinen luku: teema nostaa NPS:ää. Vaikutus = NPS teeman kanssa − NPS ilman teemaa.",
    trends: "Kehitys kuukausittain",
    trends_explained: "Teeman osuus kommenteista (määrä) ja NPS teeman maininneilla kuukausittain. ▲/▼ merkitsee muutosta edellisestä kuukaudesta, joka on suurempi kuin sattuma (kahden osuuden z-testi, p < 0,05).",
    month: "Kuukausi",
    units: "Yksiköt",
    unit: "Yksikkö",
    small_group: "* alle 10 vastauksen ryhmä: näytetään, mutta liian pieni vertailuun.",
    quotes: "Esimerkkikommentit",
    quotes_explained: "Kunkin teeman tyypillisimmät kommentit (lähimpänä teeman keskimääräistä merkitystä mallin mukaan), kielteinen ja myönteinen kun molempia on. Henkilötiedot on peitetty.",
    method: "Menetelmä",
    significant: "merkitsevä",
    positive: "myönteinen",
    negative: "kielteinen",
    mixed: "ristiriitainen",
    neutral: "neutraali",
    chart_themes: "Kommentit teemoittain",
    chart_lift: "NPS-potentiaali teemoittain (pistettä)",
    chart_nps_month: "NPS kuukausittain",
    summary: "Yhteenveto",
    comment: "Kommentti",
    sentiment: "Sävy",
    triage: "Kirjaamoluokka",
    date: "Päivämäärä",
    language: "Kieli",
    none: "(ei tietoa)",
    shares_by_month: "Teemojen osuus kommenteista kuukausittain",
    theme_unit: "Kommentit teemoittain ja yksiköittäin",
    method_rules: "Teemat avainsanasäännöistä",
    method_model: "ja mallista",
    rules_only: "vain säännöt",
    patterns: "sääntöä",
    tags_rule: "teematunnistetta, joissa sääntö osui",
    tags_model: "mallin lisäämää, joissa sääntö ei osunut",
    overruled: "sääntöosumaa, jotka malli hylkäsi",
    nps_method: "NPS = suosittelijoiden (9–10) % − arvostelijoiden (0–6) %; 95 %:n luottamusväli on kahden saman otoksen osuuden erotuksen normaaliapproksimaatio.",
    score_method: "1–5-väittämät: keskiarvo t-jakauman luottamusvälillä ja 4–5 vastanneiden osuus Wilsonin välillä.",
    change_method: "Teeman osuuden muutos kuukaudesta toiseen: kahden osuuden z-testi; merkitsevä tarkoittaa p < 0,05.",
    heldout_f1: "Saman luokittelun makro-F1 merkityillä palautteilla, joilla mallia ei ole koulutettu eikä sääntöjä viritetty (data/labeled/test_themes2.csv)",
    taxonomy: "taksonomia",
    model_word: "Malli",
    no_model: "ei mallia (vain säännöt)",
    sorted_by_count: "Järjestetty kommenttien määrän mukaan.",
};

pub const SV: Words = Words {
    title: "Rapport om kundrespons",
    undated: "odaterad",
    headline: "Sammanfattning",
    comments_analysed: "kommentarer analyserade",
    from_answers: "svar",
    rows_read: "rader lästa",
    rejected: "avvisade",
    languages: "Språk",
    channels: "Kanaler",
    nps_from: "svar på rekommendationsfrågan",
    mean: "medelvärde",
    answered_45: "svarade 4–5",
    change_from_previous: "Förändring från föregående månad",
    points: "poäng",
    sentiment_of_comments: "Kommentarernas ton",
    registry_action: "Kräver åtgärd av registratorskontoret",
    language_names: [
        ("fi", "finska"),
        ("sv", "svenska"),
        ("en", "engelska"),
        ("other", "annat"),
    ],
    triage_names: [
        ("urgent", "brådskande"),
        ("possible_urgent", "möjligen brådskande"),
        ("formal", "anmärkning eller klagomål"),
        ("contact_requested", "begäran om kontakt"),
    ],
    themes: "Teman",
    theme: "Tema",
    comments: "Kommentarer",
    answers: "Svar",
    share: "Andel",
    negative_positive: "Negativa / positiva påståenden",
    nps_with: "NPS med temat",
    nps_without: "NPS utan temat",
    impact: "Effekt",
    lift: "NPS-potential",
    mean_1_5: "Medelvärde 1–5",
    themes_sorted: "Temana är ordnade efter hur mycket de sänker eller höjer det totala NPS.",
    lift_explained: "NPS-potential: hur många poäng det totala NPS skulle stiga om de som nämner temat vore lika nöjda som övriga (temats andelar promotorer och kritiker ersätts med övrigas). Negativt tal: temat höjer NPS. Effekt = NPS med temat − NPS utan temat.",
    trends: "Utveckling per månad",
    trends_explained: "Temats andel av kommentarerna (antal) och NPS bland dem som nämner temat, per månad. ▲/▼ markerar en förändring från föregående månad som är större än slumpen (z-test för två andelar, p < 0,05).",
    month: "Månad",
    units: "Enheter",
    unit: "Enhet",
    small_group: "* grupp med färre än 10 svar: visas, men för liten för jämförelse.",
    quotes: "Exempel på kommentarer",
    quotes_explained: "De mest typiska kommentarerna för varje tema (närmast temats genomsnittliga betydelse enligt modellen), negativ och positiv när båda finns. Personuppgifter är maskerade.",
    method: "Metod",
    significant: "signifikant",
    positive: "positiv",
    negative: "negativ",
    mixed: "blandad",
    neutral: "neutral",
    chart_themes: "Kommentarer per tema",
    chart_lift: "NPS-potential per tema (poäng)",
    chart_nps_month: "NPS per månad",
    summary: "Sammanfattning",
    comment: "Kommentar",
    sentiment: "Ton",
    triage: "Registratorsklass",
    date: "Datum",
    language: "Språk",
    none: "(uppgift saknas)",
    shares_by_month: "Temans andel av kommentarerna per månad",
    theme_unit: "Kommentarer per tema och enhet",
    method_rules: "Teman från nyckelordsregler",
    method_model: "och modellen",
    rules_only: "endast regler",
    patterns: "regler",
    tags_rule: "temataggar där en regel slog till",
    tags_model: "tillagda av modellen där ingen regel slog till",
    overruled: "regelträffar som modellen underkände",
    nps_method: "NPS = % promotorer (9–10) − % kritiker (0–6); 95 %-intervallet är normalapproximationen för skillnaden mellan två andelar i samma urval.",
    score_method: "1–5-påståenden: medelvärde med t-intervall och andelen som svarat 4–5 med Wilson-intervall.",
    change_method: "Förändring av ett temas andel mellan månader: z-test för två andelar; signifikant betyder p < 0,05.",
    heldout_f1: "Makro-F1 för samma taggning på märkta kommentarer som modellen inte tränats och reglerna inte justerats på (data/labeled/test_themes2.csv)",
    taxonomy: "taxonomi",
    model_word: "Modell",
    no_model: "ingen modell (endast regler)",
    sorted_by_count: "Ordnade efter antal kommentarer.",
};

pub const EN: Words = Words {
    title: "Customer feedback report",
    undated: "undated",
    headline: "Headline",
    comments_analysed: "comments analysed",
    from_answers: "answers",
    rows_read: "rows read",
    rejected: "rejected",
    languages: "Languages",
    channels: "Channels",
    nps_from: "answers to the recommendation question",
    mean: "mean",
    answered_45: "answered 4–5",
    change_from_previous: "Change from the previous month",
    points: "points",
    sentiment_of_comments: "Sentiment of comments",
    registry_action: "Needing action by the registry office",
    language_names: [
        ("fi", "Finnish"),
        ("sv", "Swedish"),
        ("en", "English"),
        ("other", "other"),
    ],
    triage_names: [
        ("urgent", "urgent"),
        ("possible_urgent", "possibly urgent"),
        ("formal", "objection or complaint"),
        ("contact_requested", "contact requested"),
    ],
    themes: "Themes",
    theme: "Theme",
    comments: "Comments",
    answers: "Answers",
    share: "Share",
    negative_positive: "Negative / positive statements",
    nps_with: "NPS with",
    nps_without: "NPS without",
    impact: "Impact",
    lift: "NPS lift",
    mean_1_5: "Mean 1–5",
    themes_sorted: "Themes are sorted by how much they cost or lift the overall NPS.",
    lift_explained: "NPS lift: how many points the overall NPS would rise if the answers mentioning the theme were as satisfied as the rest (the theme's promoter and detractor shares replaced by those of the other answers). A negative value means the theme lifts NPS. Impact = NPS with the theme − NPS without it.",
    trends: "Trends by month",
    trends_explained: "Theme share of comments (count) and NPS among those mentioning it, per month. ▲/▼ marks a change from the previous month larger than chance (two-proportion z-test, p < 0.05).",
    month: "Month",
    units: "Units",
    unit: "Unit",
    small_group: "* fewer than 10 answers: shown, but too small to compare.",
    quotes: "Quotes",
    quotes_explained: "The most typical comments of each theme (closest to the theme's average meaning, by the model), negative and positive where both exist. Personal data is masked.",
    method: "Method",
    significant: "significant",
    positive: "positive",
    negative: "negative",
    mixed: "mixed",
    neutral: "neutral",
    chart_themes: "Comments by theme",
    chart_lift: "NPS lift by theme (points)",
    chart_nps_month: "NPS by month",
    summary: "Summary",
    comment: "Comment",
    sentiment: "Sentiment",
    triage: "Triage",
    date: "Date",
    language: "Language",
    none: "(none)",
    shares_by_month: "Theme share of comments per month",
    theme_unit: "Comments per theme and unit",
    method_rules: "Themes from keyword rules",
    method_model: "and the model",
    rules_only: "rules only",
    patterns: "patterns",
    tags_rule: "theme tags where a rule fired",
    tags_model: "added by the model where no rule did",
    overruled: "rule hits overruled by the model",
    nps_method: "NPS = % promoters (9–10) − % detractors (0–6); the 95 % interval is the normal approximation for the difference of two proportions of one sample.",
    score_method: "1–5 statements: mean with a t interval, and the share answering 4–5 with a Wilson interval.",
    change_method: "Month-over-month change of a theme's share: two-proportion z-test; significant means p < 0.05.",
    heldout_f1: "Macro F1 of the same tagging on labeled comments the model was not trained and the rules not tuned on (data/labeled/test_themes2.csv)",
    taxonomy: "taxonomy",
    model_word: "Model",
    no_model: "none (rules only)",
    sorted_by_count: "Sorted by number of comments.",
};

pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Sv => &SV,
        Lang::En => &EN,
        _ => &FI,
    }
}

impl Words {
    /// A language code's name ("fi" → "suomi"); an unknown code as it is.
    pub fn language<'a>(&self, code: &'a str) -> &'a str {
        lookup(&self.language_names, code)
    }

    /// Language and triage counts in the tables' order (fi, sv, en, other; urgent first),
    /// codes the tables lack after them.
    pub fn in_order<'a>(
        &self,
        counts: &'a std::collections::BTreeMap<String, usize>,
    ) -> Vec<(&'a String, &'a usize)> {
        let rank = |code: &str| {
            self.language_names
                .iter()
                .chain(&self.triage_names)
                .position(|(c, _)| *c == code)
                .unwrap_or(usize::MAX)
        };
        let mut v: Vec<(&String, &usize)> = counts.iter().collect();
        v.sort_by_key(|(k, _)| rank(k));
        v
    }

    /// A triage class's name ("formal" → "muistutus tai kantelu").
    pub fn triage<'a>(&self, code: &'a str) -> &'a str {
        lookup(&self.triage_names, code)
    }

    pub fn sentiment(&self, code: &str) -> &'static str {
        match code {
            "positive" => self.positive,
            "negative" => self.negative,
            "mixed" => self.mixed,
            _ => self.neutral,
        }
    }
}

fn lookup<'a>(table: &[(&'static str, &'static str)], code: &'a str) -> &'a str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, name)| name)
}

/// A number in the language's format: decimal comma and a narrow no-break space between
/// thousands in Finnish and Swedish, a point and a comma in English.
pub fn num(x: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let sep = if lang == Lang::En { ',' } else { '\u{202f}' };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let sign = if x < 0.0 && s.chars().any(|c| c != '0' && c != '.') {
        "−"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        let point = if lang == Lang::En { '.' } else { ',' };
        format!("{sign}{grouped}{point}{frac}")
    }
}

/// A signed number ("+12", "−3"), as NPS values are shown.
pub fn signed(x: f64, decimals: usize, lang: Lang) -> String {
    let n = num(x, decimals, lang);
    if n.starts_with('−')
        || num(x.abs(), decimals, lang)
            .chars()
            .all(|c| c == '0' || c == ',' || c == '.')
    {
        n
    } else {
        format!("+{n}")
    }
}

/// An NPS value and its interval ("−18", "−24…−12"), None without answers; `*` is appended
/// to the value of a small group by the callers' layout.
pub fn nps_parts(s: &crate::stats::NpsStat, lang: Lang) -> Option<(String, String)> {
    let (v, lo, hi) = (s.nps?, s.ci_low?, s.ci_high?);
    Some((
        signed(v, 0, lang),
        format!("{}…{}", signed(lo, 0, lang), signed(hi, 0, lang)),
    ))
}

/// A share 0…1 as a percentage ("15 %" in Finnish and Swedish, "15%" in English).
pub fn pct(x: f64, lang: Lang) -> String {
    let n = num(x * 100.0, 0, lang);
    if lang == Lang::En {
        format!("{n}%")
    } else {
        format!("{n}\u{a0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(num(1234.5, 1, Lang::Fi), "1\u{202f}234,5");
        assert_eq!(num(1234.5, 1, Lang::En), "1,234.5");
        assert_eq!(num(-3.0, 0, Lang::Sv), "−3");
        assert_eq!(signed(12.0, 0, Lang::Fi), "+12");
        assert_eq!(signed(-0.2, 0, Lang::Fi), "0");
        assert_eq!(signed(0.0, 0, Lang::En), "0");
        assert_eq!(pct(0.153, Lang::Fi), "15\u{a0}%");
        assert_eq!(pct(0.153, Lang::En), "15%");
    }
}
