"""Word lists of Spanish retail text (folded: lower case, no accents). General vocabulary of
shops in Spanish-speaking Latin America, not of any one catalog: the words that name a
product, describe or vary it, and so are never a brand on their own."""

from __future__ import annotations

import unicodedata


def _plain(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if c.isascii())


# Small words: shown in lower case and never a brand or a product's distinguishing word.
LOWER_WORDS = frozenset("a al con de del e en o para por y".split())
STOPWORDS = LOWER_WORDS | frozenset("el la las los presentacion ref tipo x".split())

# Grades, acronyms: shown in upper case.
UPPER_WORDS = frozenset("aa aaa bbq pet ph spf uht xl xs xxl".split())

# Accents restored for display: each folded word's written form.
ACCENTED: dict[str, str] = {
    _plain(word): word
    for word in """
    algodón arándano atún azúcar azúcares balón baño bebé café calabacín carbón
    champiñones champiñón clásica clásico cáscara cítrica cítrico económico energía fríjol
    fríjoles galón guanábana higiénico jabón jalapeño jamón limpión limón lácteo lácteos
    lámina líquido maní maracuyá maíz melocotón melón néctar orgánica orgánico orégano
    panadería pañal pañales paño paños piña plátano proteína puré riñón salchichón sandía
    tostón tradición té ácido
    """.split()
}

# Flavours, scents, colours and kinds: the words that tell siblings of one product apart.
VARIANT_WORDS = frozenset(
    """
    a aa aaa agrio ajo almendra aloe amarilla amarillo antibacterial arandano arequipe
    avena azucar azul b banano barra bbq bebe blanca blanco c cafe campesino canela canola
    caramelo cebolla cerdo cereza chalota chocolate chonto citrico claro clasica clasico
    cocina coco cola concentrado conchas costilla crema criolla descremada descremado
    desinfectante deslactosada deslactosado diet doble dulce durazno entera entero
    especial extra familiar fideo floral frambuesa fresa fritas fuerte gallina gas gel
    girasol grande grano guanabana hojuelas instantaneo integral intenso jalapeno jumbo
    kiwi lactosa larga lasagna lavanda light limon liquido lulo macarron mandarina mango
    mantequilla manzana manzanilla maracuya marinero max mediano melocoton melon menta
    mesa miel mini mix molido mora mozzarella multiusos naranja natural negra negro oliva
    original oscuro parmesano pastusa pequeno pera perfumado personal picante pimienta
    pina plus pollo polvo premium queso rallado regular res roja rojo rosado sal salsa
    sandia semidescremada semidescremado sin soluble soya spaghetti suave tajado tamarindo
    tocineta tornillo tradicion tradicional tropical ultra uva vainilla vegetal verde
    virgen zero
    """.split()
)

# The words that name a product (and the generic descriptors around them).
PRODUCT_WORDS = frozenset(
    """
    aceite acondicionador adobo agua aguacate aguardiente ambientador arequipe aroma arroz
    arveja atun avena azucar banano barra bebida bidon blanqueador bocadillo bolsa bolsas
    botella cafe caja caldo camarones canela carne cebolla cepillo cerdo cereal cerveza
    champu chicharron chocolate chocolatina chorizo cloro cocina combo comino con
    condimento costilla crema cubos de dental desengrasante desodorante detergente display
    doypack en energizante escoba esponja flan fosforos frasco frijol frijoles frita
    fritas frito fruta galleta galletas galon garbanzo garbanzos garrafa gaseosa gaseosas
    gelatina granola gratis harina helado hidratante higienico hojaldre hojuelas huevo
    huevos insecticida instantaneo integral jabon jamon jugo jugos kumis lata lavaloza
    lavanda lavaplatos leche lechuga lenteja lentejas limon limpiador liquido lomo maiz
    malta mani mantequilla margarina mayonesa mermelada mesa miel mix molida molido
    mortadela mostaza muslos naranja nectar nueva nuevo oferta olor oregano pack pan panal
    panales panela papa papas papel paquete pasabocas pasta pastas pañal pechuga pescado
    pilas pimienta pira platanitos platano pollo polvo ponque pote precio promo quesito
    queso refresco res ron rosquitas sabor sal salchicha salchichas salsa sardina sardinas
    servilleta servilletas shampoo sin sixpack sobre sopa suavizante surtidas surtido
    tajado tarro te tequila tilapia tipo toalla toallas tocineta tocino tomate tostadas
    tradicion trapero tripack twopack unidad vaso vegetal velas verdura vinagre vino vodka
    whisky yogur yogurt zanahoria
    """.split()
)

# Everything above: words that are never taken for a brand on their own.
GENERIC_WORDS = STOPWORDS | VARIANT_WORDS | PRODUCT_WORDS

# Very common brands of Latin American retail, used only where the tenant's own catalog says
# nothing (a brand seen on a single product). Written as shown, one per line.
SEED_BRANDS = tuple(
    line.strip()
    for line in """
    Coca-Cola
    Pepsi
    Postobón
    Colombiana
    Sprite
    Fanta
    Quatro
    Hit
    Tampico
    Del Valle
    Cristal
    Brisa
    Gatorade
    Pony Malta
    Águila
    Poker
    Club Colombia
    Corona
    Nestlé
    Nescafé
    Milo
    Maggi
    Knorr
    Quaker
    Kellogg's
    Alpina
    Colanta
    Alquería
    Parmalat
    Lala
    Danone
    Yoplait
    Diana
    Roa
    Florhuila
    La Muñeca
    Doria
    Barilla
    Comarrico
    Gourmet
    Premier
    Oleocali
    Sello Rojo
    Juan Valdez
    Águila Roja
    Lukafé
    Colcafé
    Noel
    Ramo
    Bimbo
    Festival
    Oreo
    Ducales
    Margarita
    De Todito
    Super Ricas
    Lay's
    Doritos
    Cheetos
    Van Camp's
    Zenú
    Rica
    Pietrán
    Fab
    Ariel
    Ace
    Dersa
    Rindex
    Fabuloso
    Clorox
    Límpido
    Axion
    Scott
    Familia
    Nube
    Colgate
    Palmolive
    Protex
    Dove
    Rexona
    Sedal
    Pantene
    Head & Shoulders
    Huggies
    Pampers
    Winny
    Kotex
    Nosotras
    Antioqueño
    Néctar
    Medellín
    Tapa Roja
    Kikes
    Santa Reyes
    Oro
    Manuelita
    Riopaila
    Incauca
    Refisal
    Fruco
    San Jorge
    La Constancia
    Bavaria
    Frisby
    Casa Luker
    Luker
    Jet
    Jumbo
    Italo
    Gol
    Bon Bon Bum
    Trululu
    Colombina
    Gloria
    Goya
    Herdez
    La Costeña
    Sabritas
    Marinela
    Gamesa
    Ajinomoto
    Ideal
    Lucchetti
    Carozzi
    Soprole
    """.splitlines()
    if line.strip()
)
