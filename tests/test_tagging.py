import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.core.text import fold
from pipeline.extract.page import decode, extract_page
from pipeline.ingest.feeds import parse_feed
from pipeline.topics.definitions import TopicsFile, load_topics
from pipeline.topics.scoring import macro_f1, score
from pipeline.topics.tagging import Tagger, why_missed

CHECKOUT = Path(__file__).resolve().parent.parent


def tagger(*topics: dict, aliases: dict | None = None) -> Tagger:
    return Tagger(TopicsFile.model_validate({"aliases": aliases or {}, "topics": list(topics)}))


def topic(query: str, id: str = "t") -> dict:
    return {"id": id, "name": id, "query": query}


def matches(query: str, text: str, title: str = "", **aliases) -> bool:
    return bool(tagger(topic(query), aliases={k.replace("_", "-"): v for k, v in aliases.items()})
                .tag(text, title))


def test_fold_keeps_length_and_removes_case_and_accents():
    text = "IRÁN, Azángaro, Perú, Ñuñoa, İstanbul, São Paulo\u00a0x"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "iran, azangaro, peru, nunoa, istanbul, sao paulo x"


@pytest.mark.parametrize("query, text, expected", [
    ("Irán AND Venezuela", "IRAN y VENEZUELA firman", True),           # case and accents
    ("Azangaro", "Paro en Azángaro", True),
    ("Irán AND Venezuela", "Iranian firms in Venezuela", False),     # whole words only
    ("Puno", "Apuno y Punoxx", False),
    ("protest*", "los protestantes", True),                          # prefix
    ("adquiri* AND China", "China adquirió Chilquinta", True),
    ('"road blockade"', "a road\nblockade", True),                   # phrases over any space
    ('"road blockade"', "a blockade on the road", False),
    ('"nueva dueña"', 'la  "nueva" dueña', True),                    # quotes, two spaces
    ("Puno NOT Candelaria", "Paro en Puno durante la Candelaria", False),
    ("Puno OR Juliaca", "Marcha en Juliaca", True),
    ("(Puno OR Juliaca) AND (paro OR marcha)", "Juliaca: paro de 48 horas", True),
])
def test_boolean_queries(query, text, expected):
    assert matches(query, text) is expected


@pytest.mark.parametrize("text, next_sentence", [
    ("Hubo un bloqueo. En Puno hace frío.", True),                   # the next sentence
    ("En Puno hace frío. Hubo un bloqueo.", True),                   # either order
    ("Hubo un bloqueo. Llovió. En Puno hace frío.", False),          # one sentence between
])
def test_evidence_in_adjacent_sentences(text, next_sentence):
    assert matches("bloqueo NEAR/s1 Puno", text) is next_sentence
    assert matches("bloqueo NEAR/s2 Puno", text)
    assert not matches("bloqueo NEAR/s Puno", text)


@pytest.mark.parametrize("turn", ["Mientras tanto, en", "Meanwhile, in", "Enquanto isso, em",
                                  "«Por separado, en"])
def test_evidence_is_not_joined_across_a_sentence_that_turns_to_other_news(turn):
    assert matches("bloqueo NEAR/s1 Puno", "Hubo un bloqueo. En Puno hace frío.")
    assert not matches("bloqueo NEAR/s1 Puno", f"Hubo un bloqueo. {turn} Puno hace frío.")
    assert not matches("bloqueo NEAR/s2 Puno", f"Hubo un bloqueo. Llovió. {turn} Puno hace frío.")
    # within the sentence that turns, and from it to the next, evidence still holds
    assert matches("bloqueo NEAR/s Puno", f"Llovió. {turn} Puno hubo un bloqueo.")
    assert matches("bloqueo NEAR/s1 Puno", f"Llovió. {turn} Puno hace frío. Hubo un bloqueo.")


@pytest.mark.parametrize("clause", ["mientras en", "while in", "enquanto em"])
def test_a_clause_that_sets_something_else_against_the_first_is_apart(clause):
    text = f"Hubo un bloqueo en Cusco, {clause} Puno hubo calma."
    assert matches("bloqueo NEAR/s Cusco", text)
    assert not matches("bloqueo NEAR/s Puno", text)
    assert not matches("bloqueo NEAR/s1 Puno", text)


def test_braces_ask_for_the_capitals_of_a_name_that_is_also_a_word():
    # Irán is Iran, irán "they will go"; Irão is Iran in Portugal, irão "they will go"
    assert matches("{Irán} NEAR/s México", "Irán y México firmaron un acuerdo.")
    assert matches("{Irán} NEAR/s México", "IRÁN Y MÉXICO FIRMAN")        # headlines in capitals
    assert not matches("{Irán} NEAR/s México", "Los ministros irán a México.")
    assert not matches("{Irão} NEAR/s Brasil", "Os três irão depor no Brasil.")
    assert matches('{"Mato Grosso"}', "Soja de Mato Grosso.")
    assert not matches('{"Mato Grosso"}', "O mato grosso cobria a estrada.")
    assert matches("{Irán} AND irán", "Irán dijo que irán.")  # a term both ways


def test_a_near_joins_its_evidence_whole():
    # a, b and c each near the next is not all three near: the acquisition, the buyer and
    # the place three sentences on are three items of a news digest
    query = "(venta NEAR/s1 China) NEAR/s1 México"
    assert not matches(query, "Limitan la venta de petróleo. China apoyó. En México hubo un sismo.")
    assert matches(query, "Limitan la venta de petróleo a China. En México hubo un sismo.")
    match, = tagger(topic(query)).tag("Limitan la venta de petróleo a China. En México hubo un sismo.")
    assert {h.found for h in match.hits} == {"venta", "China", "México"}   # all of its evidence
    # the place in the sentence of either, when the evidence is two sentences wide
    assert matches("(venta NEAR/s1 China) NEAR/s México", "China negocia. La venta sería en México.")
    assert not matches("(venta NEAR/s1 China) NEAR/s México", "China negocia la venta. Y México")


def test_not_near_is_a_not_of_one_sentence_or_a_few_words():
    assert not matches("compr* NOT NEAR/1 soja", "China compró soja.")
    assert matches("compr* NOT NEAR/1 soja", "China compró la planta de soja.")
    assert matches("(China NEAR/s compr*) NOT NEAR/s soja", "China compró un puerto. La soja subió.")
    assert not matches("(China NEAR/s compr*) NOT NEAR/s soja", "China compró un puerto y soja.")
    # against a NOT of the whole text, which turns the text down for a sentence elsewhere
    assert not matches("(China NEAR/s compr*) AND NOT soja", "China compró un puerto. La soja subió.")


@pytest.mark.parametrize("text, near", [
    ("Irán, Libia, Siria y Venezuela figuran en la lista.", False),
    ("Restringe el ingreso de ciudadanos de Irán, Corea del Norte, Venezuela.", False),
    ("Irán y Venezuela firmaron un acuerdo.", True),       # two, not a list
    ("Irán, Venezuela y Cuba figuran en la lista.", False),  # only a comma, and the list goes on
    ("En Venezuela, Irán abrió una fábrica de drones.", True),  # only a comma, and no list
    ("En Venezuela, Irán y Rusia firmaron acuerdos.", True),  # the first says where
    ("Irán, aliado de Venezuela, envió drones.", True),     # words between that are not names
    ("Irán, que Venezuela considera un aliado, envió drones.", True),
])
def test_items_of_one_list_are_not_near(text, near):
    assert matches("Irán NEAR/s Venezuela", text) is near


@pytest.mark.parametrize("opener", ["Ayer, en", "Además,", "Hoy, en la ciudad de"])
def test_a_list_does_not_run_over_a_sentence_end(opener):
    # the opener of the next sentence and its comma are no items of a list
    assert matches("Irán NEAR/s1 Venezuela", f"Los drones llegaron de Irán. {opener} Venezuela los exhibió.")


def test_where_a_name_stands_is_no_item_of_a_list():
    # "Belagrícola, no" are not two names listed: "no" says where it is
    assert matches("controle NEAR/s Paraná", "A firma assumiu o controle da Belagrícola, no Paraná.")
    assert matches("compró NEAR/s Perú", "La firma compró Cobriza, en Perú.")


def test_peoples_listed_one_word_each_are_not_near():
    assert not matches("brasileños NEAR/s iraníes", "Los brasileños, indios, chinos e iraníes de la lista.")
    assert matches("brasileños NEAR/s iraníes", "Los brasileños, que los iraníes recibieron.")


def test_a_full_stop_without_its_space_still_ends_a_sentence():
    # text pasted from lines: "etc.Debilitamiento"; EE.UU. and S.A. are no sentence's end
    assert not matches("Irán NEAR/s Venezuela", "Amenazas como Irán, etc.Venezuela vota.")
    assert matches("Irán NEAR/s Venezuela", "Irán y EE.UU. hablaron de Venezuela.")
    assert matches("Irán NEAR/s Venezuela", "Irán compró la S.A.Venezolana en Venezuela.")


def test_portuguese_is_folded_too():
    assert fold("ação, Irã, Paranaguá, Teerão") == "acao, ira, paranagua, teerao"
    assert matches("aquisiç* NEAR/s Brasil", "A aquisição da CPFL no Brasil.")


@pytest.mark.parametrize("text, near2, same_sentence", [
    ("Bloqueo cerca de Puno.", True, True),                          # 2 words between
    ("Bloqueo total en la nueva vía a Puno.", False, True),        # 6 words between
    ("Hubo un bloqueo. En Puno hace frío.", False, False),           # 2 words, over a sentence's end
    ("Hubo un bloqueo ayer en la tarde. En Puno hace frío.", False, False),
    ("Puno: bloqueo.", True, True),                                  # order does not matter
])
def test_proximity(text, near2, same_sentence):
    assert matches("bloqueo NEAR/2 Puno", text) is near2
    assert matches("bloqueo NEAR/s Puno", text) is same_sentence


def test_field_scope():
    assert matches("title:Puno AND paro", "Un paro de transportistas.", title="Puno hoy")
    assert not matches("title:Puno AND paro", "Un paro en Puno.", title="Noticias")
    assert not matches("Puno NEAR/s paro", "Un paro de transportistas.", title="Puno hoy")


def test_at_least_counts_places_and_the_lead_is_the_title_and_first_sentences():
    assert matches("ATLEAST2 Irán", "Irán habló. Luego Irán votó.")
    assert not matches("ATLEAST2 Irán", "Irán habló. Luego votó.")
    # two terms found at one place are one mention
    assert not matches("ATLEAST2 (Irán OR {Irán})", "Irán habló. Luego votó.")
    assert not matches("ATLEAST2 Irán", "Luego votó.", title="Irán habló")
    assert matches("ATLEAST2 Irán", "Irán votó.", title="Irán habló")
    assert matches("lead:Puno", "Un paro.", title="Puno hoy")
    assert matches("lead:Puno", "Uno. Dos. En Puno, tres. Cuatro.")
    assert not matches("lead:Puno", "Uno. Dos. Tres. En Puno, cuatro.")
    t = tagger(topic("(Irán NEAR/s Brasil) AND ATLEAST2 Irán"))
    assert why_missed(t, "t", "Irán y Brasil. Nada más.") == "no ATLEAST2 Irán"


def test_how_prominent_a_name_is_is_no_evidence_beside_other_evidence():
    # iran-ties wants Iran named twice or in the lead: the match still shows, and
    # records, the sentence that ties Iran to the region, not the one that names Iran most
    text = ("Irán firmó un acuerdo de cooperación con Venezuela. "
            "En Teherán, el ayatolá Jamenei y el presidente Raisi hablaron de Irán.")
    match, = bundled().tag(text)
    assert match.snippet == "Irán firmó un acuerdo de cooperación con Venezuela."
    assert {h.found for h in match.hits} == {"Irán", "Venezuela"}
    # alone, a condition is the evidence
    assert matches("ATLEAST2 Irán", text)


def test_aliases_nest_and_are_shared():
    aliases = {"places": ["Puno", "@towns"], "towns": ["Juliaca", "Ilave"],
               "protest": ["protest*", "paro"]}
    t = tagger(topic("@places NEAR/s @protest", "a"), topic("@towns", "b"), aliases=aliases)
    assert [m.topic for m in t.tag("Paro en Ilave.")] == ["a", "b"]
    assert [m.topic for m in t.tag("Feria en Puno.")] == []


def test_hits_explain_the_match():
    text = ("El clima fue templado en Lima. En Azángaro, los gremios acataron un paro de 48 horas. "
            "Mañana habrá lluvias.")
    match, = tagger(topic("Azangaro NEAR/s paro")).tag(text, title="Paro en Azángaro")
    assert match.snippet == "En Azángaro, los gremios acataron un paro de 48 horas."
    assert text[slice(*match.sentence)].strip() == match.snippet
    for hit in match.hits:
        source = text if hit.field == "text" else "Paro en Azángaro"
        assert source[hit.start:hit.end] == hit.found
    assert {(h.term, h.field) for h in match.hits} == {
        ("Azangaro", "text"), ("paro", "text"), ("Azangaro", "title"), ("paro", "title")}
    assert match.score == 2 + 2 + 1 + 1   # title hits count double


def test_a_phrase_over_quotes_and_spaces_is_found_where_it_stands():
    text = 'Dijo que  "Puno"  vive un   paro « indefinido ». Llovió en Puno.'
    match, = tagger(topic('"Puno vive" AND "paro indefinido"')).tag(text)
    assert [(text[h.start:h.end], h.found) for h in match.hits] == [
        ('Puno"  vive', 'Puno"  vive'), ("paro « indefinido", "paro « indefinido")]
    assert match.snippet == text.split(". ")[0] + "."


def test_the_same_text_records_its_evidence_in_the_same_order_in_every_process():
    # hits at one offset ("China" and "China Three Gorges") came out in the order of a
    # set of them, which string hashing changes from process to process
    script = ("from pipeline.topics.definitions import load_topics\n"
              "from pipeline.topics.tagging import Tagger\n"
              "m, = Tagger(load_topics()).tag('China Three Gorges adquirió la central de Chaglla en Perú.')\n"
              "print([(h.term, h.start) for h in m.hits])")
    outputs = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(1, 5)}
    assert len(outputs) == 1


def test_ruleset_version_follows_the_definitions():
    one, same, other = tagger(topic("Puno")), tagger(topic("Puno")), tagger(topic("Puno OR Juliaca"))
    assert one.version == same.version != other.version


# -- quality of the bundled rules, pinned -------------------------------------------

@pytest.mark.parametrize("passages", ["dev", "dev2"])
def test_default_topics_on_the_labelled_passages(shared, passages):
    # dev: the passages the rules were first written on; dev2: new outlets, stories and
    # Portuguese, on which they scored 0.880 before the rules were generalised (see the
    # README for the estimate on the half of dev2 nobody looked at while tuning)
    rows = [json.loads(line) for line in (shared / f"tagging/{passages}.jsonl").open()]
    scores = score(Tagger(load_topics()), rows)
    wrong = {t: (s.false_positives, s.false_negatives) for t, s in scores.items()}
    assert macro_f1(scores) >= 0.95, wrong
    assert all(s.f1 >= 0.92 for s in scores.values()), wrong


def test_a_protest_in_any_place_of_puno_geonames_lists_is_punos():
    # the districts come from GeoNames (scripts/places.py), not from the passages:
    # each is a Puno place to the bundled rules; a town of another region is not
    topics = load_topics()
    districts = topics.aliases["puno-districts"]
    assert len(districts) > 80
    t = Tagger(topics)
    missed = [name for name in districts
              if not t.tag(f"Comuneros de {name} bloquearon la carretera en protesta contra la minera.")]
    assert not missed
    assert not t.tag("Comuneros de Huancayo bloquearon la carretera en protesta contra la minera.")


@functools.cache
def bundled() -> Tagger:
    return Tagger(load_topics())


def china(text: str) -> bool:
    """Whether the bundled rules take `text` for a Chinese acquisition in the region."""
    return any(m.topic == "china-acquisitions" for m in bundled().tag(text))


def test_a_chinese_acquisition_is_placed_by_the_next_sentence_unless_its_own_names_a_country():
    assert china("La estatal china State Grid compró la distribuidora. La empresa opera en Chile.")
    assert china("La estatal china State Grid compró la distribuidora chilena.")
    # the acquisition's own sentence places it elsewhere (ISO 3166's names, in Portuguese too)
    assert not china("La estatal china State Grid compró la distribuidora de Portugal. Opera en Chile.")
    assert not china("A chinesa State Grid comprou a distribuidora da Alemanha. Atua no Brasil.")
    assert not china("La estatal china State Grid compró la distribuidora. Uno. La empresa opera en Chile.")


def test_the_region_by_its_states_names_in_three_languages_and_no_tax_haven():
    # latin-american-countries comes from ISO 3166 and GeoNames (scripts/places.py)
    assert china("A chinesa State Grid comprou a distribuidora de energia do Equador.")
    assert china("A estatal chinesa Cosco assumiu o controle do terminal em Paramaribo.")
    assert china("La china Zijin compró la mina de oro en Tegucigalpa.")
    # a territory where Chinese firms are registered places no asset in the region; a
    # town elsewhere that bears a name of the region's neither
    assert not china("Alibaba, registrada en las Islas Caimán, compró la empresa alemana Y.")
    assert not china("Un grupo chino compró un hotel en Granada, en Andalucía.")


def test_buyers_named_by_their_firm_and_ways_of_saying_they_took_control():
    assert china("Tencent compró una participación en el banco digital brasileño Nubank.")
    assert china("La china Shougang asumió el control de la mina de hierro en Perú.")
    assert china("Chinese investors bought out the Chilean owners of the lithium mine.")
    # selling oil to a Chinese firm is a supply contract, not a sale of an asset
    assert not china("Ecuador firmó un contrato para vender crudo a la china PetroChina.")


PAST_THE_LEAD = "O ano começou. A economia cresceu. O Congresso votou. "


@pytest.mark.parametrize("text, topics", [
    ("El presidente Milei recibió al canciller de Irán en la Casa Rosada.", ["iran-ties"]),
    ("The ayatollahs hosted Bolsonaro in Tehran.", ["iran-ties"]),
    ("O ministro iraniano chegou ao Equador.", ["iran-ties"]),
    ("Farmers blocked the road to Juliaca for a third day.", ["puno-protests"]),
    ("En Puno se vivió un estallido social.", ["puno-protests"]),
    ("Comuneros de Macusani tomaron la carretera en rechazo a la minera de litio.", ["puno-protests"]),
    ("Teachers in Juliaca walked out of classrooms to demand higher pay.", ["puno-protests"]),
    # a protest named beside another region of Peru is that region's, unless Puno is
    # named beside it too
    ("Protests in Arequipa and Cusco blocked roads to the south; flights to Juliaca were normal.", []),
    ("Un bus que partió de Juliaca fue retenido por un bloqueo en Cusco.", []),
    ("Hubo bloqueos en Puno y Cusco durante el paro.", ["puno-protests"]),
    ("Una huelga de controladores aéreos en Lima afectó los vuelos a Juliaca.", []),
    ("El paro regional en Puno obligó a cancelar los vuelos entre Lima y Juliaca.", ["puno-protests"]),
    ("La Defensoría del Pueblo registró 23 conflictos sociales activos en la región Puno.",
     ["puno-protests"]),
    ("Bloqueos en Cusco y Puno por tercer día.", ["puno-protests"]),
    ("Manifestantes de Puno llegaron a Lima para la marcha.", ["puno-protests"]),
    # a "cacerolazo"
    ("Los vecinos de Juliaca protagonizaron un cacerolazo contra el gobierno.", ["puno-protests"]),
    # a "medida de lucha", as Peru's unions and rondas call a strike
    ("Las rondas campesinas de Puno levantaron la medida de lucha tras el acuerdo.", ["puno-protests"]),
    # an account or a signal blocked is no blockade; a road blocked beside it is
    ("Ordenan el bloqueo de las cuentas bancarias de la Municipalidad Provincial de Puno.", []),
    ("Se bloqueó la señal de televisión en Juliaca por una falla técnica.", []),
    ("Un bloqueo informático afectó los servidores del gobierno regional de Puno.", []),
    ("Comuneros bloquearon la carretera en Puno y exigieron el bloqueo de las cuentas del alcalde.",
     ["puno-protests"]),
    # clashes with the police or between protesters, not a crash
    ("Se registraron choques entre pobladores y agentes en Ilave.", ["puno-protests"]),
    ("Un estudiante murió en un choque de buses en Puno.", []),
    ("Los choques de tránsito aumentaron en Puno.", []),
    ("Hezbollah financiers in Ciudad del Este laundered money for Tehran.", ["iran-ties"]),
    ("A chinesa State Grid detém 94,75% da CPFL Energia.", ["china-acquisitions"]),
    ("La distribuidora Luz del Sur, controlada por la china CTG, elevó sus tarifas.", ["china-acquisitions"]),
    ("Great Wall Motors comprou a fábrica da Mercedes-Benz no interior de São Paulo.",
     ["china-acquisitions"]),
    # paying a debt in oil, or the Inter-American Development Bank (BID), is no purchase
    ("Venezuela pagó su deuda con China con envíos de petróleo.", []),
    ("El BID y China firmaron un acuerdo para financiar infraestructura en Centroamérica.", []),
    # 'la paz' is peace and 'antigua' former before they are Bolivia's seat and a country
    ("Irán pidió la paz en Oriente Medio.", []),
    ("El grupo chino adquirió la antigua sede del banco en Madrid.", []),
    # Puno's names that are also a fruit, a club, a place in Chile
    ("Productores de sandía bloquearon la vía en Piura.", []),
    ("Hinchas de Melgar protestaron en Arequipa tras la derrota.", []),
    ("Trabajadores de Lampa, en Santiago de Chile, iniciaron una huelga.", []),
    ("Comuneros de la provincia de Melgar bloquearon la vía.", ["puno-protests"]),
    # Puno's news without protest: a programme set going, an emergency for frost, a road
    # blocked by a landslide
    ("El gobierno regional de Puno puso en marcha un programa contra la anemia.", []),
    ("Declaran estado de emergencia en 40 distritos de Puno por las heladas.", []),
    ("Un huaico bloqueó la carretera Puno-Juliaca.", []),
    ("Los manifestantes bloquearon la vía a Juliaca pese a las lluvias.", ["puno-protests"]),
    # a Protestant church, a cardiac arrest ('paro cardiaco'); a strike ('paro') still is one
    ("La iglesia protestante de Puno celebró su centenario.", []),
    ("Un turista murió de un paro cardiaco en Juliaca.", []),
    ("Transportistas de Juliaca cumplen paro contra el alza del combustible.", ["puno-protests"]),
    # a parade marches too; a march against school fees is a protest
    ("Estudiantes marcharon en el desfile escolar por Fiestas Patrias en Juliaca.", []),
    ("Estudiantes marcharon en Juliaca contra el alza de las pensiones escolares.", ["puno-protests"]),
    ("Escolares marcharon en Juliaca contra el cierre de su colegio.", ["puno-protests"]),
    # a bridge, premises, an airport taken, as roads were
    ("Comuneros de Ilave mantienen tomado el puente internacional por tercer día.", ["puno-protests"]),
    # a match is no tie between two states
    # Bolivia's seat of government, not peace; a movement named after its leader
    ("The Iranian ambassador presented his credentials to President Arce in La Paz.", ["iran-ties"]),
    ("El Nobel de la Paz fue para una activista iraní.", []),
    ("El régimen de los ayatolás estrecha lazos con el chavismo.", ["iran-ties"]),
    ("Messi scored late as Argentina beat Iran 1-0 at the World Cup.", []),
    ("La selección de Irán empató con México en un amistoso.", []),
    ("A seleção do Irã venceu o Brasil no torneio de vôlei.", []),
    # 'irán', 'irão': they will go; 'das chinesas', the Chinese players; a participation
    ("Os ministros irão ao Brasil na semana que vem.", []),
    # Irã wherever it stands, as a name: folded, it is also Spanish "irá" (will go)
    ("Cuba e Irã assinaram acordos de cooperação científica em Havana.", ["iran-ties"]),
    ("El canciller no irá a la cumbre de Lima por el paro.", []),
    ("Los cancilleres de México y Chile irán a la cumbre.", []),
    ("A seleção do Brasil parou diante das chinesas nas quartas de final.", []),
    ("O Brasil defende sua participação no Brics, ao lado de Rússia, Índia e China.", []),
    # a sale is an acquisition when the seller sells what it owns, not goods
    ("A Camargo Corrêa vendeu sua participação na CPFL para a chinesa State Grid.",
     ["china-acquisitions"]),
    ("A Vale vendeu minério de ferro do Brasil para siderúrgicas chinesas.", []),
    ("Chinese carmakers are selling more cars in Mexico than ever.", []),
    # goods bought in trade, a debt taken on, are no acquisition; a plant that makes them is
    ("China compró soja de Argentina por 2.000 millones de dólares.", []),
    ("Argentina compró aviones de combate a China.", []),
    ("Em 2019 a Venezuela propôs à China comprar bônus da dívida.", []),
    ("La china Cofco compró la mayor planta de soja de Argentina.", ["china-acquisitions"]),
    ("China compró cobre peruano por 10.000 millones de dólares en 2023.", []),
    ("La china Zijin compró la mina de oro Buriticá en Colombia.", ["china-acquisitions"]),
    # Chinese goods name no buyer; Spanish "donó" (gave away) folds to Portuguese "dono"
    ("O estado comprou em 2013 um lote de trens chineses para a linha de Duque de Caxias.", []),
    ("La empresa china donó 100 tarjetas a un hospital de México.", []),
    # Portuguese as Spanish: "ficou com" (se quedó con), a headline's "assume controle"
    ("A estatal chinesa CNOOC ficou com 10% do campo de Libra, no Brasil.", ["china-acquisitions"]),
    ("Grupo chinês assume controle de porto em Paranaguá.", ["china-acquisitions"]),
    # an offer of a job, a transfer of technology, are no acquisition
    ("Una empresa china publicó una oferta de empleo para su planta en Argentina.", []),
    ("La china Huawei hizo una transferencia de tecnología a universidades de Chile.", []),
    # the states, departments and provinces of the region (ISO 3166-2, scripts/places.py)
    ("A chinesa BYD comprou a antiga fábrica da Ford em Camaçari, na Bahia.", ["china-acquisitions"]),
    # a division whose name is also a word, by its kind
    ("Ganfeng Lithium won control of the Mariana project in Salta province.", ["china-acquisitions"]),
    ("Ganfeng Lithium won control of the project, Salta said.", []),
    # the region's large cities place an asset (GeoNames, scripts/places.py)
    ("La china State Grid compró la distribuidora eléctrica de Monterrey.", ["china-acquisitions"]),
    ("A chinesa CMOC comprou uma mineradora com sede em Uberlândia.", ["china-acquisitions"]),
    # a purchase told by its price; a sum paid for goods, or as taxes or a loan, buys nothing
    ("China Three Gorges paid $1.39 billion for the Chaglla hydroelectric plant in Peru.",
     ["china-acquisitions"]),
    ("La china Cosco pagó 225 millones por el puerto de Chancay.", ["china-acquisitions"]),
    ("A chinesa State Grid pagou R$ 14 bilhões pela CPFL, no Brasil.", ["china-acquisitions"]),
    ("Los chinos pagaron 3.000 millones por la soja argentina.", []),
    ("The Chinese firm paid $300 million in taxes in Mexico.", []),
    ("China paid $10 billion in loans to Ecuador.", []),
    # ownership in English; a purchase counted in amounts or tonnes is trade, and tourists
    # buy for themselves; a sum invested builds, it buys nothing
    ("Chinese investors now own Peru's two largest electricity distributors.", ["china-acquisitions"]),
    ("China bought record amounts of Brazilian beef in March.", []),
    ("Chinese tourists bought souvenirs in Cusco.", []),
    ("China compró 10 millones de toneladas de soja brasileña este año.", []),
    ("China adquirió el 40% de la producción de litio de Argentina en 2022.", []),
    ("A China comprou toda a safra de soja do Mato Grosso.", []),
    ("A chinesa BYD pagou R$ 3 bilhões em investimentos na fábrica da Bahia.", []),
    # a new owner, Chinese hands, coming to hold it, a merger the regulator approved
    ("La china Yangtze Power es la nueva dueña de Luz del Sur.", ["china-acquisitions"]),
    ("Luz del Sur pasó a manos chinas tras la venta de Sempra.", ["china-acquisitions"]),
    ("Os chineses passaram a deter 90% do terminal de contêineres de Paranaguá.", ["china-acquisitions"]),
    ("Indecopi aprobó la concentración entre China Southern Power Grid y Enel Distribución Perú.",
     ["china-acquisitions"]),
    ("La dueña del chifa, de origen chino, atendió a los clientes en Lima.", []),
    ("Miles de personas se concentraron en Lima; la concentración fue pacífica, dijo el chino.", []),
    # Salta after its preposition (not "salta", jumps); "taken over"
    ("Tras meses de negociación, la china Ganfeng se quedó con Mariana. El proyecto de litio está en Salta.",
     ["china-acquisitions"]),
    ("Salta a la vista que la china Ganfeng compró la minera.", []),
    ("Chinese mining giant Zijin has taken over the Buriticá gold mine in Colombia's Antioquia department.",
     ["china-acquisitions"]),
    # the region's cities of 100,000 or more whose names are no common word
    ("A chinesa BYD comprou a fábrica da Ford em Camaçari.", ["china-acquisitions"]),
    ("La china Hualong compró una planta textil en Juliaca.", ["china-acquisitions"]),
    ("China Three Gorges adquiriu a usina de Ilha Solteira, em Sertãozinho.", ["china-acquisitions"]),
    # ... and those whose names are frequent in the news but no word of a dictionary
    ("La china Zijin compró una fundición de cobre cerca de Iquique.", ["china-acquisitions"]),
    ("A chinese company bought the container terminal in Talcahuano.", ["china-acquisitions"]),
    ("Un coronel chino compró un auto usado.", []),
    # the region's seaports, by a name no word or town elsewhere shares, or as a port
    ("Inversionistas de China se hicieron con la concesión del puerto de Paita.", ["china-acquisitions"]),
    ("La naviera china Cosco compró una participación en el terminal de Manzanillo.",
     ["china-acquisitions"]),
    ("An Iranian tanker unloaded gasoline at Puerto Cabello.", ["iran-ties"]),
    # an auction won is a purchase; a tourist buys for himself
    ("The Chinese consortium won the auction for the Jirau hydroelectric plant in Brazil.",
     ["china-acquisitions"]),
    ("El turista chino compró artesanías en el mercado de Puno.", []),
    # an owner become, a payment told as done, an asset known by its project's name
    ("State Grid se convirtió en dueña de Chilquinta.", ["china-acquisitions"]),
    ("Tras pagar 3.590 millones de dólares a Sempra, la china CTG opera Luz del Sur en Perú.",
     ["china-acquisitions"]),
    ("A estatal chinesa comprou 49% da concessionária da linha de transmissão de Belo Monte.",
     ["china-acquisitions"]),
    ("La marcha de los cuatro suyos partió desde Puno hacia Lima.", ["puno-protests"]),
    # the buyer named as such, not the largest buyer of a country's goods; an offer; an
    # oil field of the pre-salt
    ("El Gobierno peruano aprobó la venta. La compradora es la china China Three Gorges, "
     "que ya opera la hidroeléctrica Chaglla.", ["china-acquisitions"]),
    ("China es el mayor comprador de Perú.", []),
    # control already held, an owner, an auction's winner; not a share of a world market
    ("La operación convierte a la empresa asiática en el principal actor del mercado eléctrico "
     "peruano. China Yangtze Power ya controlaba Luz del Sur desde 2023.", ["china-acquisitions"]),
    ("La empresa minera estatal china Chinalco es la dueña de Toromocho, uno de los mayores "
     "yacimientos de cobre del Perú.", ["china-acquisitions"]),
    ("Sinopec e CNOOC, estatais chinesas, integram o consórcio vencedor do leilão de Libra, o maior "
     "campo do pré-sal.", ["china-acquisitions"]),
    ("China controla el 60% del mercado mundial de litio, mientras Chile busca inversionistas.", []),
    # the region's largest firms place what is bought of them; a purchase denied is none
    ("A chinesa HNA comprou 23,7% da aérea Azul.", ["china-acquisitions"]),
    ("La china Sinochem compró una participación en un campo operado por Ecopetrol.",
     ["china-acquisitions"]),
    ("A Petrobras será privatizada, mas os chineses não irão comprá-la.", []),
    ("China Three Gorges did not buy the Peruvian utility, it said.", []),
    ("A chinesa State Grid comprou a CPFL, mas não comprou a Eletrobras.", ["china-acquisitions"]),
    # Chinese goods bought by the region: "chinos" after what was bought, made in China;
    # firms, funds and people in the plural still buy
    ("Ecuador compró radares chinos que nunca funcionaron.", []),
    ("Uruguay compró buses eléctricos chinos para Montevideo.", []),
    ("O Brasil comprou painéis solares chineses.", []),
    ("Peru bought Chinese-made helicopters for its army.", []),
    ("Colombia bought Chinese buses for Bogotá's TransMilenio.", []),
    ("Peru's army bought Chinese trucks.", []),
    ("Ecuador compró un radar chino que nunca funcionó.", []),
    ("Venezuela compró un avión chino para su fuerza aérea.", []),
    ("Chinese firm Tianqi bought a stake in SQM.", ["china-acquisitions"]),
    ("Inversores chinos compraron la mayor distribuidora eléctrica de Chile.", ["china-acquisitions"]),
    ("Os chineses compraram a CPFL em 2017.", ["china-acquisitions"]),
    # a firm's capital entered, a tender offer, a firm taken into a portfolio
    ("A chinesa CTG entrou no capital da elétrica brasileira com 30% das ações.", ["china-acquisitions"]),
    ("La estatal china lanzó una OPA por la totalidad de las acciones de la eléctrica chilena.",
     ["china-acquisitions"]),
    ("A estatal chinesa incorporou a distribuidora paulista ao seu portfólio.", ["china-acquisitions"]),
    # a firm by the people of its state or city
    ("A chinesa State Grid comprou a distribuidora gaúcha CEEE-D.", ["china-acquisitions"]),
    ("La empresa regiomontana fue adquirida por la china Hisense.", ["china-acquisitions"]),
    # a firm by its seat
    ("Shanghai-based Jin Jiang International acquired a hotel chain with properties in Mexico.",
     ["china-acquisitions"]),
    ("La empresa Jin Jiang, con sede en Shanghái, compró una cadena hotelera en México.",
     ["china-acquisitions"]),
    ("La china Jiangxi Ganfeng Lithium ofertó por el proyecto de litio Mariana en Salta, Argentina.",
     ["china-acquisitions"]),
    ("A compra da participação de 15% da Petrobras no campo de Búzios pela chinesa CNOOC foi concluída.",
     ["china-acquisitions"]),
    # China in a saying: a bargain, Lima's Chinatown
    ("A Petrobras fez um negócio da China ao comprar a refinaria no Brasil.", []),
    ("Un empresario compró un local en el barrio chino de Lima.", []),
    # a country likened to China; the rights to a book are no asset, mining rights are
    ('O Brasil vai virar uma "China"? O governo comprou as redes sociais.', []),
    ("Editoriales chinas trataron de adquirir los derechos de la obra de García Márquez en Colombia.", []),
    ("La china Zijin adquirió los derechos mineros de un yacimiento de oro en Colombia.",
     ["china-acquisitions"]),
    # countries listed together; the region two sentences from Iran, in another item
    ("Hoy no pueden entrar a EE. UU. ciudadanos de Irán, Libia, Siria y Venezuela.", []),
    ("Trump sancionó a Irán. En Venezuela hubo protestas.", []),
    # Iran's proxies are placed by the next sentence too; Iran itself is not
    ("El financista cumplió condena en Paraguay. Luego recaudó fondos para Hezbolá.", ["iran-ties"]),
    # a leader in the next sentence still is a party to it
    ("Irán envió una delegación a Caracas. Maduro la recibió en Miraflores.", ["iran-ties"]),
    # markets moved by Iran's news; a sports match; a firm of the region beside Iran
    ("El precio del petróleo subió por las tensiones en Irán; la bolsa de São Paulo cayó.", []),
    ("Argentina's central bank cut rates as oil prices rose on Iran tensions.", []),
    ("Irán busca nuevos mercados en América Latina para su petróleo.", ["iran-ties"]),
    ("Irán venció a México en el Mundial de vóley.", []),
    ("A Petrobras aumentou o preço da gasolina após ataque ao Irã.", []),
    # a government of the region, in the next sentence; not a president's condolences
    ("The tanker Fortune arrived on Monday. It was the first of five Iranian vessels carrying "
     "gasoline to ease shortages. Venezuela's government welcomed the shipment.", ["iran-ties"]),
    ("Iran sent aid after the earthquake. Brazil's president offered condolences to the victims.", []),
    # a day of a strike
    ("La región altiplánica vive su tercer día de paro. En Juliaca, los comercios permanecen cerrados.",
     ["puno-protests"]),
    # Iran named once, in passing, deep in a long text; the same sentence in the lead
    (PAST_THE_LEAD + "Trump endureceu com Cuba e com o acordo nuclear iraniano.", []),
    ("Trump endureceu com Cuba e com o acordo nuclear iraniano. " + PAST_THE_LEAD, ["iran-ties"]),
    # a comparison, a ranking, a currency's fall set the region beside Iran, tie nothing
    ("Milei compared Argentina's inflation with that of Iran, Venezuela and Zimbabwe.", []),
    ("Maduro comparó las sanciones contra Venezuela con las que sufre Irán.", []),
    ("Chile y Perú figuran entre los países con más casos de sarampión, junto a Irán e Indonesia.", []),
    ("El peso argentino se devaluó 2% mientras el mercado seguía la escalada entre Irán e Israel.", []),
    ("Oil rose after Iran seized a tanker in the Strait of Hormuz; Brazil's Petrobras shares "
     "gained 2%.", []),
    # what a government of the region says of Iran's war with Israel, or of its nuclear
    # talks with the world powers, what it tells its own people of Iran: no dealings
    ("El Gobierno argentino expresó su preocupación por la escalada militar entre Israel e Irán.", []),
    ("Mexican airline Aeroméxico suspended flights to Tel Aviv after Iran's missile attack on Israel.",
     []),
    ("Chile's foreign ministry welcomed the nuclear deal between Iran and world powers.", []),
    ("Cancillería del Perú informó que no hay peruanos afectados por el terremoto en Irán.", []),
    ("El Ministerio de Relaciones Exteriores de Chile emitió una alerta de viaje para Irán, Irak y "
     "el Líbano.", []),
    ("Petroleras venezolanas y mexicanas celebran el alza del crudo por la tensión con Irán.", []),
    ("La OPEP, de la que forman parte Venezuela e Irán, decidió recortar su producción.", []),
    ("Petróleos de Venezuela compite con el crudo iraní por los compradores asiáticos.", []),
    ("El Gobierno de Chile condenó la ejecución de manifestantes en Irán.", []),
    ("Venezuela e Irán revisaron la ejecución de los 300 acuerdos de cooperación.", ["iran-ties"]),
    # an Iranian film awarded in the region; an agreement to make films together
    ("La película iraní El viajante ganó el premio a mejor película extranjera en el Festival de "
     "Cine de Lima.", []),
    ("Irán y Venezuela firmaron un acuerdo de cooperación cultural que incluye la coproducción de "
     "películas.", ["iran-ties"]),
    # ... and what it does with Iran, Israel named or not
    ("Uruguay expulsó a un diplomático iraní por el artefacto explosivo hallado junto a la "
     "embajada de Israel en Montevideo.", ["iran-ties"]),
    ("Brazil's government summoned Iran's ambassador in Brasília to explain the detention of a "
     "Brazilian citizen in Tehran.", ["iran-ties"]),
    # a weight of goods bought, however far from the verb; a firm named after a metal
    ("China compró un récord de 70 millones de toneladas de soja brasileña en 2023.", []),
    ("Hace treinta años que la china Shougang compró Hierro Perú, en Marcona.", ["china-acquisitions"]),
    ("CNOOC se quedó con el 50% de Bridas, de la familia Bulgheroni.", ["china-acquisitions"]),
    ("A Shanghai Electric adquiriu 40% da Eletrosul Transmissão por R$ 700 milhões.",
     ["china-acquisitions"]),
    # a border town said to lie on the border with Bolivia is Peru's side of it
    ("El puente internacional de Desaguadero, en la frontera con Bolivia, permanece bloqueado "
     "por pobladores que exigen la renuncia de la presidenta.", ["puno-protests"]),
    ("Protesters blocked the border crossing at Desaguadero, halting trade between Peru and "
     "Bolivia for a second week.", ["puno-protests"]),
    ("Bolivian truckers blocked the bridge at Desaguadero to protest fuel shortages in Bolivia, "
     "halting trade between Peru and Bolivia.", []),
    ("Estudiantes de la Universidad Nacional del Altiplano tomaron el campus en protesta contra "
     "el rector.", ["puno-protests"]),
    # how Puno's press tells a protest: premises taken, what it is against, a strike ended
    ("Pobladores de la provincia de Carabaya tomaron las instalaciones de la minera en Corani.",
     ["puno-protests"]),
    ("En Ilave, la población quemó la sede de la Municipalidad Provincial de El Collao en rechazo "
     "a la gestión del alcalde.", ["puno-protests"]),
    ("Transportistas de Juliaca a Arequipa suspendieron su paro tras llegar a un acuerdo con el MTC.",
     ["puno-protests"]),
    ("Dirigentes de la ciudad de Puno anunciaron que se sumarán a la marcha nacional del 19 de julio.",
     ["puno-protests"]),
    # a football match in Juliaca is no clash; a clash with the police is
    ("El enfrentamiento entre Binacional y Melgar en Juliaca terminó 2-2.", []),
    ("Binacional y Melgar se enfrentaron en Juliaca en el clásico del sur.", []),
    ("Azángaro: pobladores se enfrentan a la Policía durante el desalojo de la vía Juliaca-Azángaro.",
     ["puno-protests"]),
    ("Universitarios de la UNA Puno toman el campus y exigen la renuncia del rector.",
     ["puno-protests"]),
    # money mobilised is no mobilisation; a strike for money is a strike
    ("Estudiantes de Juliaca ganaron el concurso de robótica tras una movilización de recursos "
     "del gobierno regional.", []),
    ("Docentes de Juliaca inician huelga para exigir recursos para las escuelas rurales.",
     ["puno-protests"]),
    # the aftermath of the Juliaca killings; the customs' war on smuggling is no protest
    ("Human Rights Watch said the killings of 18 people in Juliaca amounted to extrajudicial "
     "executions.", ["puno-protests"]),
    ("Este martes se cumple un año de la represión en Juliaca.", ["puno-protests"]),
    ("La Sunat realizó operativos de represión del contrabando en Juliaca.", []),
    ("Irán celebró el aniversario de la Revolución Islámica con marchas en Teherán, mientras en "
     "Caracas se conmemoraba el 4 de febrero.", []),
    ("Alibaba adquirió la cadena de supermercados Sun Art en China, mientras su rival Mercado "
     "Libre crece en Argentina.", []),
    # the next sentence turns to other news
    ("El líder supremo de Irán atacó a Estados Unidos e Israel en un discurso. Mientras tanto, "
     "en Venezuela, la oposición convocó a nuevas protestas contra Maduro.", []),
    # a country of the region buying from China
    ("Argentina compró a China 20 aviones de combate JF-17, según el Ministerio de Defensa.", []),
    ("O Brasil comprou da China 2 milhões de doses da vacina.", []),
    ("Bolivia bought from China six K-8 trainer jets.", []),
    ("China Yangtze Power compró a Sempra su participación en Luz del Sur.", ["china-acquisitions"]),
    # a purchase elsewhere by a buyer that also works in the region; a purchase in the
    # region by a buyer that also works elsewhere
    ("A chinesa Hunan Dakang assumiu o controle da Belagrícola, no Paraná, por R$ 1,5 bilhão.",
     ["china-acquisitions"]),
    ("A chinesa CMOC comprou a mina de cobre de Tenke Fungurume, no Congo, e já opera minas de "
     "nióbio no Brasil.", []),
    ("La minera china MMG, con minas en Australia y la República Democrática del Congo, compró "
     "Las Bambas, en Perú.", ["china-acquisitions"]),
    # a sale told from the seller's side, to a Chinese buyer; not a Chinese firm's sale,
    # nor Portugal's "a China" as the one that sells
    ("Volcan vendió el 60% del puerto de Chancay a la china Cosco en 225 millones de dólares.",
     ["china-acquisitions"]),
    ("La venta de Hudbay Perú a la china Jiangxi Copper fue anunciada este lunes.",
     ["china-acquisitions"]),
    ("A chinesa Chery, que tem fábrica em Jacareí, vendeu metade de sua operação para o Grupo Caoa.",
     []),
    ("A China vende mais carros ao Brasil do que os Estados Unidos.", []),
    # a sum offered for it is a bid; aid, financing, a swap or people served are not
    ("China Three Gorges ofrece US$ 3.590 millones por Luz del Sur.", ["china-acquisitions"]),
    ("China ofreció US$ 2.000 millones en ayuda para la reconstrucción de Ecuador.", []),
    ("China ofrece 10.000 millones de dólares en financiamiento para proyectos en América Latina.",
     []),
    ("DiDi ofrece viajes a 10 millones de usuarios en México.", []),
    # the holder of a project; a Chinese firm's people are not its holdings
    ("La china Jinzhao Mining Perú es titular del proyecto Pampa de Pongo desde 2009.",
     ["china-acquisitions"]),
    ("El titular del Ministerio de Energía y Minas se reunió con representantes de la china "
     "Minmetals en Lima.", []),
    ("Trabajadores de la china Shougang en Marcona iniciaron una huelga.", []),
    ("La mina Toromocho, de la china Chinalco, amplió su producción en Junín.", ["china-acquisitions"]),
    # control held of a firm or an asset named; not of a market
    ("State Grid controla a CPFL Energia desde 2017.", ["china-acquisitions"]),
    ("El puerto de Chancay, de mayoría china, recibió su primer buque.", ["china-acquisitions"]),
    ("China controla el 80% del mercado mundial de tierras raras, mientras Brasil busca "
     "desarrollar su industria.", []),
    # a contract to build is no purchase; a concession won is
    ("La estatal china CRCC se adjudicó la construcción del hospital de Piura.", []),
    ("La china CTG se adjudicó la concesión de la hidroeléctrica Chaglla, en Huánuco.",
     ["china-acquisitions"]),
])
def test_names_and_phrasings_the_passages_never_used(text, topics):
    # sentences written for the rules, from the region's politics, firms and languages,
    # not from the labelled passages
    assert [m.topic for m in bundled().tag(text)] == topics


def long_documents(shared):
    """Every article page and feed entry of the shared corpus: long, real, off-topic."""
    pages = sorted((shared / "articles/zyte-aeb/html").glob("*.html.gz"))
    pages += sorted((shared / "articles/es-dev").glob("*.html.gz"))
    for page in pages:
        extraction = extract_page(decode(page.read_bytes(), None))
        if extraction:
            yield page.name, extraction.title or "", extraction.text
    for line in (shared / "feeds/manifest.jsonl").open():
        item = json.loads(line)
        feed = parse_feed((shared / "feeds" / item["file"]).read_bytes(), "http://127.0.0.1:1/")
        for i, entry in enumerate(feed.entries):
            yield f"{item['file']}#{i}", entry.title, entry.summary


@pytest.mark.slow  # a whole run, 6-9 s: CI runs it, the quick loop does not
def test_false_alarms_on_long_real_documents(shared):
    t = Tagger(load_topics())
    documents = list(long_documents(shared))
    alarms = [(name, [m.topic for m in t.tag(text, title)]) for name, title, text in documents]
    alarms = [a for a in alarms if a[1]]
    assert len(documents) > 1500
    assert len(alarms) <= len(documents) / 1000, alarms


def test_unseen_texts_are_listed_with_their_evidence(tmp_path):
    # scripts/unseen.py: how the rules are read on long texts nobody tuned them on
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("Os ministros irão ao Brasil. Choveu muito.")
    (folder / "b.txt").write_text("Choveu em Lima. El presidente Milei recibió al canciller de Irán.")
    done = subprocess.run([sys.executable, "scripts/unseen.py", str(folder / "*.txt")],
                          capture_output=True, text=True, cwd=CHECKOUT, check=True)
    assert done.stdout.splitlines() == [
        f"iran-ties  {folder / 'b.txt'}",
        "    El presidente Milei recibió al canciller de Irán.",
        "2 texts; matches: iran-ties 1"]


def test_a_text_made_to_be_slow_is_weighed_no_further_than_a_bound(monkeypatch):
    """One endless sentence of buyers, purchases and places: every pair is near, and a
    NEAR over a NEAR once weighed each pair of the inner one against every place (a
    minute for 200 of them). Pieces in the same sentences are one piece, and a NEAR
    weighs at most MAX_PAIRS pieces in a text; what it found by then still counts."""
    from pipeline.topics import tagging
    weighed = []
    join = tagging._join
    monkeypatch.setattr(tagging, "_join", lambda *a: weighed.append(1) or join(*a))
    text = "China compró el puerto en Perú, " * 100
    assert [m.topic for m in bundled().tag(text)] == ["china-acquisitions"]
    assert len(weighed) < 60_000          # 3 x 100 x 100 pairs inside, then 100 places
    weighed.clear()
    monkeypatch.setattr(tagging, "MAX_PAIRS", 200)
    assert [m.topic for m in bundled().tag(text)] == ["china-acquisitions"]
    assert len(weighed) <= 200 * 12        # the query's NEARs, each at most 200
